"""page_events/: uses of the pages of a web tool, with the planted "come back" effects."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._common import (
    DAY,
    LandingWriter,
    day_of,
    expand,
    geometric0,
    int_text,
    iso_datetime_us,
    normalise,
    sample_conditional,
    sample_p,
    sample_seconds_of_day,
    take,
    weekday,
    with_duplicates,
)

PAGE_USERS_PER_SCALE = 5_000
FIRST_DAY = day_of("2024-01-01")
LAST_DAY = day_of("2024-06-30")
RETURN_WINDOW_DAYS = 30
ID_DIGITS = 39

PAGES = (
    "home",
    "search",
    "dashboard",
    "reports_builder",
    "export",
    "settings",
    "billing",
    "help",
    "share",
    "calendar",
    "templates",
)
P_HOME, P_RB, P_HELP = PAGES.index("home"), PAGES.index("reports_builder"), PAGES.index("help")
# Pages drawn on the first active day (reports_builder and help are planted separately).
FIRST_DAY_PAGE_W = (0.10, 0.22, 0.25, 0.0, 0.07, 0.10, 0.05, 0.0, 0.08, 0.10, 0.13)
FIRST_SLOT_HOME = 0.55
LATER_PAGE_W = (0.12, 0.15, 0.18, 0.10, 0.08, 0.04, 0.02, 0.04, 0.08, 0.10, 0.09)
LATER_RB_BOOST = 3.0  # users who used reports_builder on day one keep using it more
# Planted co-usage: each user has a persona whose pages are PERSONA_BOOST times more
# likely on later days and PERSONA_BOOST / 2 times on the first day (reports_builder's
# first-day share stays as planted for the return effect).
# Pages used together are what a recommender can learn from.
PERSONAS = {
    "analyst": ("dashboard", "export", "reports_builder"),
    "admin": ("settings", "billing", "help"),
    "collaborator": ("share", "calendar", "templates"),
}
PERSONA_P = (0.4, 0.3, 0.3)
PERSONA_BOOST = 8.0

OS_NAMES = ("Windows", "Mac OS X", "iOS", "Android", "Linux", "Chrome OS")
OS_P = (0.42, 0.22, 0.14, 0.12, 0.04, 0.06)
BROWSERS = ("Chrome", "Safari", "Firefox", "Edge", "Samsung Internet")
BROWSER_GIVEN_OS = (
    (0.60, 0.00, 0.15, 0.25, 0.00),
    (0.40, 0.50, 0.10, 0.00, 0.00),
    (0.15, 0.85, 0.00, 0.00, 0.00),
    (0.70, 0.00, 0.00, 0.00, 0.30),
    (0.55, 0.00, 0.45, 0.00, 0.00),
    (1.00, 0.00, 0.00, 0.00, 0.00),
)
PLANS = ("monthly", "yearly", "")
PLAN_P = (0.60, 0.33, 0.07)
PLAN_ROW_MISSING = 0.035
BROWSER_ROW_MISSING = 0.05
DUP_FRAC = 0.002

USER_FIRST_DAY_GROWTH = 120.0  # first-day intensity grows like exp(day / 120)
WEEKDAY_W = (1.0, 1.05, 1.05, 1.0, 0.9, 0.4, 0.35)
WEEKEND_SHIFT = 0.6  # later active days on a weekend move to Monday with this probability
HOURS = normalise(
    [0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 1, 2.5, 5.5, 8, 9, 8.5,
     6, 7.5, 9, 8.5, 7, 5, 3.5, 3, 3, 2.5, 1.5, 1]
)  # fmt: skip
EVENT_GAP_MEAN_S = 40.0

# Planted "return" model: P(active on another day within 30 days of the first active day).
FIRST_DAY_RB_P = 0.22
FIRST_DAY_HELP_P = 0.15
RETURN_INTERCEPT = math.log(0.30 / 0.70)  # monthly plan, no planted pages: 30 %
RETURN_PAGE_LOG_ODDS = {
    "reports_builder": math.log(0.70 / 0.30) - RETURN_INTERCEPT,  # → 70 %
    "help": -0.40,
    "dashboard": 0.10,
    "export": 0.05,
}
RETURN_PLAN_LOG_ODDS = {"monthly": 0.0, "yearly": 0.60, "": -0.10}
LATE_RETURN_P = 0.25  # non-returners who still come back after the window (31-120 days)
RETURN_GAP_DECAY = 0.88  # P(gap = g) ∝ 0.88^g × weekday weight, g = 1..30
LATER_DAYS_MEAN = {"monthly": 9.0, "yearly": 18.0, "": 6.0}
LATER_GAP_MEAN = 5.0

# Users already active before the export starts (left truncation): their history before
# FIRST_DAY is not in the export, so their first day in it is not their first active day.
# Regular users: a day every 1 + Geometric(mean ALREADY_ACTIVE_GAP_MEAN × lognormal(0,
# 0.5)) days (their first day in the export comes as soon, the gaps being memoryless),
# until they stop after Exponential(ALREADY_ACTIVE_STAY_MEAN) days of the export; they
# use the pages of later days (persona habits), so nearly all of them "come back" whatever
# their first day in the export shows. Drawn from a random stream of their own, so the
# new users are the same with or without them.
ALREADY_ACTIVE_PER_SCALE = 600
ALREADY_ACTIVE_GAP_MEAN = 4.0
ALREADY_ACTIVE_STAY_MEAN = 60.0


@dataclass
class PageEvents:
    ids: pa.Array  # 39-digit id text per user
    user: np.ndarray  # event → user index, sorted file order (before duplicates)
    ts_us: np.ndarray
    page: np.ndarray
    os: np.ndarray
    browser: np.ndarray  # -1 = empty
    plan: np.ndarray  # 2 = empty
    rows: np.ndarray
    truth: dict


def _ids(rng: np.random.Generator, n: int) -> pa.Array:
    """Unique 39-digit decimal ids below 3·10^38 (so they fit an unsigned 128-bit integer)."""
    digits = np.empty((n, ID_DIGITS), dtype=np.uint8)
    digits[:, 0] = rng.integers(1, 3, n)
    digits[:, 1:] = rng.integers(0, 10, (n, ID_DIGITS - 1))
    text = (digits + ord("0")).view(f"S{ID_DIGITS}").ravel()
    if len(np.unique(text)) != n:  # practically impossible; keep ids unique regardless
        raise RuntimeError("id collision; use another seed")
    return one_array(pa.array(text.astype(f"U{ID_DIGITS}")))


def one_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``values`` as one Array: pyarrow hands back a ChunkedArray when it converts a large
    NumPy array (seen at the benchmark's default size), which ``pa.concat_arrays`` refuses."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _return_gap_tables() -> np.ndarray:
    """CDF of the return gap 1..30 for each weekday of the first day (7 × 30)."""
    g = np.arange(1, RETURN_WINDOW_DAYS + 1)
    w = RETURN_GAP_DECAY ** g[None, :] * np.asarray(WEEKDAY_W)[(np.arange(7)[:, None] + g) % 7]
    return w / w.sum(axis=1, keepdims=True)


def _already_active(rng: np.random.Generator, v: int, first_user: int) -> dict:
    """The export's part of the history of v users already active before it: user
    index (from first_user on), day, timestamp and page of every event, and per user
    plan, os, browser and the first day in the export."""
    plan = sample_p(rng, PLAN_P, v)
    os_ = sample_p(rng, OS_P, v)
    browser = sample_conditional(rng, os_, np.asarray(BROWSER_GIVEN_OS))
    persona = sample_p(rng, PERSONA_P, v)
    lam = rng.gamma(1.5, 2.4, v)
    gap_mean = ALREADY_ACTIVE_GAP_MEAN * np.exp(0.5 * rng.standard_normal(v))
    first = FIRST_DAY + geometric0(rng, gap_mean, v)
    stop = np.maximum(first, FIRST_DAY + rng.exponential(ALREADY_ACTIVE_STAY_MEAN, v).astype(int))
    stop = np.minimum(stop, LAST_DAY)
    # Active days: the first, then 1 + Geometric(gap_mean) apart, up to the stop day.
    k = 1 + np.ceil((stop - first) / (1.0 + gap_mean)).astype(np.int64) * 2  # enough draws
    u, j = expand(k)
    steps = np.where(j == 0, 0, 1 + geometric0(rng, gap_mean[u], len(u)))
    day = first[u] + np.cumsum(steps) - np.repeat(np.cumsum(steps)[np.cumsum(k) - k], k)
    keep = day <= stop[u]
    u, day = u[keep], day[keep]
    n_ev = 1 + rng.poisson(lam[u])
    row, within_idx = expand(n_ev)
    tbl = np.tile(np.asarray(LATER_PAGE_W, dtype=float), (len(PERSONAS), 1))
    for k_, pages in enumerate(PERSONAS.values()):
        for page in pages:
            tbl[k_, PAGES.index(page)] *= PERSONA_BOOST
    page = sample_conditional(rng, persona[u[row]], tbl)
    gaps = ((1.0 + rng.exponential(EVENT_GAP_MEAN_S, len(row))) * 1e6).astype(np.int64)
    gaps[within_idx == 0] = 0
    offset = np.cumsum(gaps)
    offset -= np.repeat(offset[np.cumsum(n_ev) - n_ev], n_ev)
    start = sample_seconds_of_day(rng, HOURS, len(u)) * 1_000_000
    start = np.minimum(start[row], DAY * 1_000_000 - 1 - offset[np.cumsum(n_ev)[row] - 1])
    ts_us = day[row] * DAY * 1_000_000 + start + offset
    user = u[row]
    browser_row = np.where(rng.random(len(row)) < BROWSER_ROW_MISSING, -1, browser[user])
    plan_row = np.where(rng.random(len(row)) < PLAN_ROW_MISSING, 2, plan[user])
    return {
        "ids": _ids(rng, v),
        "user": first_user + user,
        "ts_us": ts_us,
        "page": page,
        "browser": browser_row,
        "plan": plan_row,
        "os": os_,
        "first": first,
    }


def generate_pages(
    rng: np.random.Generator, scale: float, already_active_rng: np.random.Generator | None = None
) -> PageEvents:
    """The page events of new users (from rng) and of users already active before the
    export (from already_active_rng; none without it)."""
    n = max(20, round(PAGE_USERS_PER_SCALE * scale))
    ids = _ids(rng, n)
    days = np.arange(FIRST_DAY, LAST_DAY + 1)
    w = np.exp((days - FIRST_DAY) / USER_FIRST_DAY_GROWTH) * np.asarray(WEEKDAY_W)[weekday(days)]
    first = days[sample_p(rng, w, n)]
    plan = sample_p(rng, PLAN_P, n)
    os_ = sample_p(rng, OS_P, n)
    browser = sample_conditional(rng, os_, np.asarray(BROWSER_GIVEN_OS))
    rb1 = rng.random(n) < FIRST_DAY_RB_P
    help1 = rng.random(n) < FIRST_DAY_HELP_P
    lam = rng.gamma(1.5, 2.4, n)  # events per later active day: 1 + Poisson(lam)

    # First active day: events and pages.
    n1 = 1 + rng.poisson(2.5, n) + rb1 + help1
    u1, slot1 = expand(n1)
    persona = sample_p(rng, PERSONA_P, n)
    first_tbl = np.tile(np.asarray(FIRST_DAY_PAGE_W, dtype=float), (len(PERSONAS), 1))
    for k, pages in enumerate(PERSONAS.values()):
        for page in pages:
            if page != "reports_builder":  # its first-day share is planted apart
                first_tbl[k, PAGES.index(page)] *= PERSONA_BOOST / 2
    page1 = sample_conditional(rng, persona[u1], first_tbl)
    page1 = np.where((slot1 == 0) & (rng.random(len(u1)) < FIRST_SLOT_HOME), P_HOME, page1)
    page1 = np.where(help1[u1] & (slot1 == 1), P_HELP, page1)
    page1 = np.where(rb1[u1] & (slot1 == n1[u1] - 1), P_RB, page1)
    used = np.zeros((n, len(PAGES)), dtype=bool)
    used[u1, page1] = True

    # Return within the window (planted), else perhaps a late return.
    eta = (
        RETURN_INTERCEPT
        + np.asarray([RETURN_PLAN_LOG_ODDS[p] for p in PLANS])[plan]
        + used @ np.asarray([RETURN_PAGE_LOG_ODDS.get(p, 0.0) for p in PAGES])
    )
    returns = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))
    late = ~returns & (rng.random(n) < LATE_RETURN_P)
    gap_cdf = _return_gap_tables()
    gap = 1 + sample_conditional(rng, weekday(first), gap_cdf)
    late_gap = np.minimum(RETURN_WINDOW_DAYS + 1 + geometric0(rng, 20.0, n), 120)
    second = np.where(returns, first + gap, first + late_gap)
    back = returns | late

    # Later active days after the second one.
    later_mean = np.asarray([LATER_DAYS_MEAN[p] for p in PLANS])[plan] * np.exp(
        0.8 * rng.standard_normal(n)
    )
    k_later = np.where(back, geometric0(rng, later_mean, n), 0)
    u3, j3 = expand(k_later)
    gaps3 = 1 + geometric0(rng, LATER_GAP_MEAN, len(u3))
    cs = np.cumsum(gaps3)
    start3 = np.flatnonzero(np.r_[True, u3[1:] != u3[:-1]]) if len(u3) else np.arange(0)
    base = np.repeat(cs[start3] - gaps3[start3], np.diff(np.r_[start3, len(u3)]))
    day3 = second[u3] + cs - base
    wd3 = weekday(day3)
    shift = (wd3 >= 5) & (rng.random(len(u3)) < WEEKEND_SHIFT)
    day3 = day3 + np.where(shift, 7 - wd3, 0)

    # Day rows: (user, day, kind) with kind 0 = first, 1 = later.
    d_user = np.concatenate([np.arange(n), np.flatnonzero(back), u3])
    d_day = np.concatenate([first, second[back], day3])
    d_first = np.concatenate([np.ones(n, bool), np.zeros(back.sum() + len(u3), bool)])
    keep = d_day <= LAST_DAY
    d_user, d_day, d_first = d_user[keep], d_day[keep], d_first[keep]

    # Events of later days.
    later_rows = np.flatnonzero(~d_first)
    n_later = 1 + rng.poisson(lam[d_user[later_rows]])
    p_later, _ = expand(n_later)
    ev_u2 = d_user[later_rows][p_later]
    tbl = np.tile(np.asarray(LATER_PAGE_W, dtype=float), (2 * len(PERSONAS), 1))
    for k, pages in enumerate(PERSONAS.values()):
        for page in pages:
            tbl[2 * k : 2 * k + 2, PAGES.index(page)] *= PERSONA_BOOST
        tbl[2 * k + 1, P_RB] *= LATER_RB_BOOST  # row 2k + 1: reports_builder on day one
    page2 = sample_conditional(rng, 2 * persona[ev_u2] + rb1[ev_u2].astype(np.int64), tbl)

    # All events in day-row order: first-day rows (0..n-1 in d_* order) then later rows.
    first_rows = np.flatnonzero(d_first)  # == arange(n): the first day is always kept
    ev_row = np.concatenate([first_rows[u1], later_rows[p_later]])
    ev_page = np.concatenate([page1, page2])
    order = np.argsort(ev_row, kind="stable")
    ev_row, ev_page = ev_row[order], ev_page[order]
    ev_user = d_user[ev_row]

    # Timestamps: session start from the hour profile, events 1 s + Exp(40 s) apart.
    m = len(ev_row)
    gaps = ((1.0 + rng.exponential(EVENT_GAP_MEAN_S, m)) * 1e6).astype(np.int64)
    is_start = np.r_[True, ev_row[1:] != ev_row[:-1]]
    gaps[is_start] = 0
    cs = np.cumsum(gaps)
    starts = np.flatnonzero(is_start)
    run = np.repeat(starts, np.diff(np.r_[starts, m]))
    within = cs - cs[run]
    last = np.r_[starts[1:], m] - 1  # last event of each day row
    duration = np.zeros(len(d_user), dtype=np.int64)
    duration[ev_row[last]] = within[last]
    start_us = sample_seconds_of_day(rng, HOURS, len(d_user)) * 1_000_000 + rng.integers(
        0, 1_000_000, len(d_user)
    )
    start_us = np.minimum(start_us, DAY * 1_000_000 - 1 - duration)
    ts_us = (d_day[ev_row] * DAY) * 1_000_000 + start_us[ev_row] + within

    srt = np.lexsort((ev_user, ts_us))
    ev_user, ts_us, ev_page = ev_user[srt], ts_us[srt], ev_page[srt]
    ev_browser = np.where(rng.random(m) < BROWSER_ROW_MISSING, -1, browser[ev_user])
    ev_plan = np.where(rng.random(m) < PLAN_ROW_MISSING, 2, plan[ev_user])

    v = round(ALREADY_ACTIVE_PER_SCALE * scale) if already_active_rng is not None else 0
    if v:
        old = _already_active(already_active_rng, v, n)
        if set(old["ids"].to_pylist()) & set(ids.to_pylist()):  # practically impossible
            raise RuntimeError("id collision; use another seed")
        ids = pa.concat_arrays([one_array(ids), one_array(old["ids"])])
        os_ = np.concatenate([os_, old["os"]])
        ev_user = np.concatenate([ev_user, old["user"]])
        ts_us = np.concatenate([ts_us, old["ts_us"]])
        ev_page = np.concatenate([ev_page, old["page"]])
        ev_browser = np.concatenate([ev_browser, old["browser"]])
        ev_plan = np.concatenate([ev_plan, old["plan"]])
        srt = np.lexsort((ev_user, ts_us))
        ev_user, ts_us, ev_page = ev_user[srt], ts_us[srt], ev_page[srt]
        ev_browser, ev_plan = ev_browser[srt], ev_plan[srt]
        m = len(ev_user)
    rows, n_dups = with_duplicates(rng, m, DUP_FRAC)

    truth = _truth(n, first, d_user, d_day, rb1, help1, used, plan, returns, eta, n_dups, len(rows))
    truth["already_active"] = {
        "users": v,
        "note": "active before the export starts (their earlier days are not in it), so "
        "their first day in the export is not their first active day; left out by a burn-in",
        "days_between_active_days_mean": ALREADY_ACTIVE_GAP_MEAN,
        "stay_in_export_mean_days": ALREADY_ACTIVE_STAY_MEAN,
        "first_day_in_export_on_or_before_2024_01_30": int((old["first"] < FIRST_DAY + 30).sum())
        if v
        else 0,
    }
    return PageEvents(
        ids=ids,
        user=ev_user,
        ts_us=ts_us,
        page=ev_page,
        os=os_[ev_user],
        browser=ev_browser,
        plan=ev_plan,
        rows=rows,
        truth=truth,
    )


def _truth(n, first, d_user, d_day, rb1, help1, used, plan, returns, eta, n_dups, n_rows) -> dict:
    eligible = first <= LAST_DAY - RETURN_WINDOW_DAYS
    ret = np.zeros(n, dtype=bool)
    later = (d_day > first[d_user]) & (d_day <= first[d_user] + RETURN_WINDOW_DAYS)
    ret[d_user[later]] = True

    def rate(sel):
        sel = sel & eligible
        return round(float(ret[sel].mean()), 4) if sel.any() else None

    return {
        "definition": {
            "first_active_day": "calendar day (of ts) of the user's first event",
            "returned": f"active on another day within {RETURN_WINDOW_DAYS} days after it",
            "eligible_users": f"first active day <= {LAST_DAY - RETURN_WINDOW_DAYS} days "
            "after 2023-01-01, i.e. on or before 2024-05-31",
        },
        "latent_model": {
            "type": "logistic",
            "intercept": round(RETURN_INTERCEPT, 6),
            "reference": "plan monthly, none of the pages used on the first active day",
            "first_day_page_log_odds": {
                p: round(RETURN_PAGE_LOG_ODDS.get(p, 0.0), 6) for p in PAGES
            },
            "plan_log_odds": {(p or "empty"): v for p, v in RETURN_PLAN_LOG_ODDS.items()},
            "first_day_reports_builder_share": FIRST_DAY_RB_P,
            "first_day_help_share": FIRST_DAY_HELP_P,
            "late_return_prob_non_returners": LATE_RETURN_P,
        },
        "co_usage": {
            "personas": {name: list(pages) for name, pages in PERSONAS.items()},
            "persona_share": dict(zip(PERSONAS, PERSONA_P, strict=True)),
            "later_day_page_weight_multiplier": PERSONA_BOOST,
            "first_day_page_weight_multiplier": PERSONA_BOOST / 2,
            "note": "pages of one persona are used together: a recommender beats most-popular",
        },
        "realized": {
            "users": n,
            "eligible_users": int(eligible.sum()),
            "return_rate": rate(np.ones(n, bool)),
            "return_rate_reports_builder_first_day": rate(rb1),
            "return_rate_no_reports_builder_first_day": rate(~rb1),
            "return_rate_help_first_day": rate(help1),
            "return_rate_no_help_first_day": rate(~help1),
            "return_rate_by_plan": {(p or "empty"): rate(plan == i) for i, p in enumerate(PLANS)},
            "return_rate_by_first_day_page": {p: rate(used[:, i]) for i, p in enumerate(PAGES)},
            "rows": n_rows,
            "duplicate_rows": n_dups,
        },
    }


PAGE_COLUMNS = ("", "ts", "user_id", "os", "browser", "plan", "page")


def write_pages(pe: PageEvents, writer: LandingWriter) -> None:
    browsers = pa.array(list(BROWSERS) + [""])  # index -1 → last entry (empty)
    n_b = len(BROWSERS)

    def chunk(a: int, b: int) -> list[pa.Array]:
        r = pe.rows[a:b]
        br = pe.browser[r]
        return [
            int_text(r),
            iso_datetime_us(pe.ts_us[r]),
            pc.take(pe.ids, pa.array(pe.user[r])),
            take(OS_NAMES, pe.os[r]),
            take(browsers, np.where(br < 0, n_b, br)),
            take(PLANS, pe.plan[r]),
            take(PAGES, pe.page[r]),
        ]

    writer.write(
        "page_events",
        "page_events",
        header_line=",".join(PAGE_COLUMNS),
        parquet_names=("Unnamed: 0",) + PAGE_COLUMNS[1:],
        quote=["never"] * 7,
        n_rows=len(pe.rows),
        chunk_fn=chunk,
    )
