"""users/ and logins/: product accounts, their daily logins and the planted adoption effects."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._common import (
    DAY,
    EPOCH_UNIX,
    LandingWriter,
    blank_where,
    const,
    day_of,
    expand,
    geometric0,
    int_text,
    iso_date,
    iso_datetime,
    join,
    normalise,
    sample_p,
    sample_seconds_of_day,
    take,
    weekday,
    with_duplicates,
)

# ----------------------------------------------------------------------------- parameters

USERS_PER_SCALE = 12_000
ORGS_PER_SCALE = 420
ORG_SIZE_SIGMA = 1.1  # org size weights ~ lognormal(0, 1.1)
SIGNUP_FIRST = day_of("2023-01-01")
SIGNUP_LAST = day_of("2024-06-30")  # signups run to the end: the latest accounts are still open
DATA_END = day_of("2024-06-30")  # last day with logins
SIGNUP_GROWTH_DAYS = 450.0  # signup intensity grows like exp(day / 450)
SIGNUP_WEEKDAY = (1.10, 1.10, 1.05, 1.05, 0.95, 0.55, 0.60)  # Mon..Sun

SOURCES = ("ORG_INVITE", "GUEST_INVITE", "SIGNUP", "SIGNUP_GOOGLE_AUTH", "PERSONAL_PROJECTS")
SOURCE_SHARE = (0.35, 0.18, 0.17, 0.13, 0.17)
INVITE_SOURCES = (0, 1)
SAME_ORG_INVITER = (0.95, 0.55)  # P(inviter from the same org) for ORG_INVITE, GUEST_INVITE
INVITER_MISSING = 0.10  # share of invite-source users whose inviter is not recorded
OPTED_IN_RATE = 0.25
DRIP_RATE = 0.15

# Latent adoption model (logistic). Reference: creation_source SIGNUP, not invited, not opted in.
INTERCEPT = -2.45
SOURCE_LOG_ODDS = (0.35, 0.0, 0.0, 0.45, -0.60)
INVITED_OR = 2.5
OPTED_IN_LOG_ODDS = 0.25
DRIP_LOG_ODDS = 0.0
ORG_SD = 0.5

# Activity behaviour
NEVER_LOGIN_NON_ADOPTER = 0.36
NON_ADOPTER_LOGIN_P = 1.0 - NEVER_LOGIN_NON_ADOPTER
NON_ADOPTER_DAYS_P = (0.55, 0.28, 0.17)  # 1, 2 or 3 login days
NON_ADOPTER_FIRST_ON_SIGNUP = 0.75
NON_ADOPTER_FIRST_DELAY_MEAN = 5.0
NON_ADOPTER_GAP_MEAN = 8.0
ADOPTER_DAY0 = 0.85  # P(adopter logs in on the signup day)
ADOPTER_BURST_NOW = 0.55  # P(the adoption burst starts on the signup day)
ADOPTER_BURST_DELAY_MEAN = 10.0  # otherwise 1 + Geometric(mean 10) days later
ADOPTER_BURST_EXTRA = 0.30  # P(each other day of the burst week is active too)
ADOPTER_LIFETIME_MEDIAN = 400.0  # days of continued use after the burst week (lognormal median)
ADOPTER_LIFETIME_SIGMA = 1.0
ADOPTER_DAILY_BETA = (4.0, 1.4)  # per-user daily login probability ~ Beta(4, 1.4)
LOGIN_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 0.9, 0.45, 0.45)
PRE_SIGNUP_FRAC = 0.002
BARE_DATE_FRAC = 0.03
LOGIN_DUP_FRAC = 0.003

SIGNUP_HOURS = normalise(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 4, 3.5, 3.5, 3, 2.5, 1.5]
)
LOGIN_HOURS = normalise(
    [0.6, 0.4, 0.3, 0.3, 0.3, 0.5, 1, 2.5, 5, 8, 9, 8.5,
     6.5, 7.5, 8.5, 8, 7, 5, 3.5, 3, 3, 2.5, 2, 1]
)  # fmt: skip

# fmt: off
FIRST_NAMES = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Daniel", "Karen", "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia",
    "Ethan", "Sofia", "Mateo", "Hannah", "Leon", "Aisha", "Omar", "Priya", "Arjun",
    "Mei", "Hiroshi", "Yuki", "Kwame", "Amara", "José", "María", "Zoë", "Chloé",
    "Renée", "Björn", "Søren", "Maël", "Jürgen", "Noémie", "Hélène", "François", "Inês",
    "João", "Ángel", "Lucía", "Sébastien", "Øystein", "Cécile", "Ramón", "Anaïs", "Dagný",
    "Ólafur", "Zoé",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green",
    "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips",
    "Evans", "Turner", "Torres", "Parker", "Collins", "Edwards", "Stewart", "Nguyen", "Patel",
    "Kim", "Chen", "Okafor", "Kowalski", "O'Brien", "Müller", "García", "Núñez", "Gonçalves",
    "Ødegaard", "Løvlie", "Sánchez", "Brontë", "Schröder", "Pérez", "Jiménez", "Äström", "Lefèvre",
    "Dubé", "Peña", "Fernández", "Böhm", "Åkesson", "Ruíz", "Groß",
)
PUBLIC_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com")
PUBLIC_DOMAIN_P = (0.42, 0.16, 0.13, 0.06, 0.04)
CORPORATE_EMAIL = 0.19  # share of users with their org's corporate domain
ORG_WORD_A = (
    "bright", "north", "blue", "iron", "silver", "green", "clear", "swift", "stone", "true",
    "red", "open", "peak", "solid", "quantum", "nova", "lumen", "terra", "vector", "apex",
    "harbor", "cedar", "summit", "polar",
)
ORG_WORD_B = (
    "wave", "point", "field", "works", "labs", "line", "bridge", "gate", "path", "forge",
    "core", "soft", "logic", "data", "systems", "dynamics", "grid", "mark",
)
ORG_TLD = (".com", ".com", ".com", ".io", ".co", ".net", "-group.com", ".org")
# fmt: on


def _fold(name: str) -> str:
    """ASCII form of a name for e-mail addresses (Ø → o, ß → ss, ' dropped)."""
    name = name.replace("ø", "o").replace("Ø", "O").replace("ß", "ss").replace("'", "")
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_.lower()


# ----------------------------------------------------------------------------- generation


@dataclass
class Accounts:
    n_users: int
    creation_ts: np.ndarray  # seconds since epoch
    org: np.ndarray
    source: np.ndarray
    inviter: np.ndarray  # object_id or 0
    opted_in: np.ndarray
    drip: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email_pattern: np.ndarray
    email_num: np.ndarray
    email_public: np.ndarray  # -1 = corporate
    email_case: np.ndarray
    org_domain: np.ndarray  # per org
    last_session: np.ndarray  # unix seconds or -1
    login_uid: np.ndarray  # sorted file order (before duplicates): user index 0..n-1
    login_ts: np.ndarray
    login_bare: np.ndarray
    login_rows: np.ndarray  # file order including duplicates
    n_login_dups: int
    truth: dict


def _signups(rng: np.random.Generator, n: int) -> np.ndarray:
    days = np.arange(SIGNUP_FIRST, SIGNUP_LAST + 1)
    w = np.exp(days / SIGNUP_GROWTH_DAYS) * np.asarray(SIGNUP_WEEKDAY)[weekday(days)]
    d = days[sample_p(rng, w, n)]
    return np.sort(d * DAY + sample_seconds_of_day(rng, SIGNUP_HOURS, n))


def _inviters(rng, org, source) -> np.ndarray:
    """object_id of the inviter (0 = none). Users are in object_id order (index i = id i+1)."""
    n = len(org)
    obj = np.arange(1, n + 1)
    order = np.lexsort((obj, org))  # by org, then signup order
    org_sorted = org[order]
    starts = np.flatnonzero(np.r_[True, org_sorted[1:] != org_sorted[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    pos_sorted = np.arange(n) - run_start
    pos = np.empty(n, dtype=np.int64)
    pos[order] = pos_sorted
    start_of = np.empty(n, dtype=np.int64)
    start_of[order] = run_start
    u1, u2, u3, u4 = rng.random((4, n))
    within = order[start_of + np.floor(u1 * pos).astype(np.int64)] + 1  # an earlier org member
    anyone = 1 + np.floor(u2 * (obj - 1)).astype(np.int64)  # any earlier user
    same_p = np.where(source == 0, SAME_ORG_INVITER[0], SAME_ORG_INVITER[1])
    use_same = (u3 < same_p) & (pos > 0)
    inviter = np.where(use_same, within, anyone)
    invited = np.isin(source, INVITE_SOURCES) & (u4 >= INVITER_MISSING) & (obj > 1)
    return np.where(invited, inviter, 0)


def _adopter_days(rng, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(local index, day) of every login day of latent adopters with signup days ``s``."""
    m = len(s)
    day0 = rng.random(m) < ADOPTER_DAY0
    delay = np.where(
        rng.random(m) < ADOPTER_BURST_NOW, 0, 1 + geometric0(rng, ADOPTER_BURST_DELAY_MEAN, m)
    )
    b = s + delay
    o1 = rng.integers(1, 7, m)
    o2 = rng.integers(1, 6, m)
    o2 = o2 + (o2 >= o1)
    extra = rng.random((m, 6)) < ADOPTER_BURST_EXTRA
    ex_i, ex_k = np.nonzero(extra)
    lifetime_mean = np.exp(
        math.log(ADOPTER_LIFETIME_MEDIAN) + ADOPTER_LIFETIME_SIGMA * rng.standard_normal(m)
    )
    life = rng.geometric(1.0 / np.maximum(lifetime_mean, 1.0))
    p = rng.beta(*ADOPTER_DAILY_BETA, m)
    start = b + 7
    n_cand = np.clip(np.minimum(life, DATA_END - start + 1), 0, None)
    parent, off = expand(n_cand)
    cand_day = start[parent] + off
    accept_p = p[parent] * np.asarray(LOGIN_WEEKDAY)[weekday(cand_day)]
    keep = rng.random(len(cand_day)) < accept_p
    idx = np.concatenate(
        [np.flatnonzero(day0), np.arange(m), np.arange(m), np.arange(m), ex_i, parent[keep]]
    )
    day = np.concatenate([s[day0], b, b + o1, b + o2, b[ex_i] + ex_k + 1, cand_day[keep]])
    return idx, day


def _non_adopter_days(rng, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = len(s)
    k = np.where(rng.random(m) < NON_ADOPTER_LOGIN_P, 1 + sample_p(rng, NON_ADOPTER_DAYS_P, m), 0)
    first = s + np.where(
        rng.random(m) < NON_ADOPTER_FIRST_ON_SIGNUP,
        0,
        1 + geometric0(rng, NON_ADOPTER_FIRST_DELAY_MEAN, m),
    )
    g1 = 1 + geometric0(rng, NON_ADOPTER_GAP_MEAN, m)
    g2 = np.maximum(1 + geometric0(rng, NON_ADOPTER_GAP_MEAN, m), 7 - g1)  # never 3 in 7 days
    days = np.stack([first, first + g1, first + g1 + g2], axis=1)
    mask = np.arange(3)[None, :] < k[:, None]
    i, j = np.nonzero(mask)
    return i, days[i, j]


def _realized_adoption(uid: np.ndarray, day: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """3-in-7 rule on unique (uid, day) pairs sorted by uid then day."""
    adopted = np.zeros(n, dtype=bool)
    adopted_on = np.full(n, -1, dtype=np.int64)
    if len(uid) >= 3:
        ok = (uid[2:] == uid[:-2]) & (day[2:] - day[:-2] <= 6)
        cand = np.flatnonzero(ok)
        users, first = np.unique(uid[cand], return_index=True)
        adopted[users] = True
        adopted_on[users] = day[cand[first] + 2]
    return adopted, adopted_on


def generate_accounts(rng: np.random.Generator, scale: float) -> Accounts:
    n = max(20, round(USERS_PER_SCALE * scale))
    n_orgs = max(3, round(ORGS_PER_SCALE * scale))
    creation_ts = _signups(rng, n)
    s_day = creation_ts // DAY

    # Orgs: skewed sizes (lognormal weights); ids 0..n_orgs-1 in random order of size.
    org_w = np.exp(ORG_SIZE_SIGMA * rng.standard_normal(n_orgs))
    org = sample_p(rng, org_w, n)
    org_effect = ORG_SD * rng.standard_normal(n_orgs)
    source = sample_p(rng, SOURCE_SHARE, n)
    inviter = _inviters(rng, org, source)
    invited = inviter > 0
    opted_in = rng.random(n) < OPTED_IN_RATE
    drip = rng.random(n) < DRIP_RATE

    eta = (
        INTERCEPT
        + np.asarray(SOURCE_LOG_ODDS)[source]
        + math.log(INVITED_OR) * invited
        + OPTED_IN_LOG_ODDS * opted_in
        + DRIP_LOG_ODDS * drip
        + org_effect[org]
    )
    latent = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))

    # Login days.
    ad = np.flatnonzero(latent)
    na = np.flatnonzero(~latent)
    parts_i, parts_d = [], []
    chunk = 40_000
    for c in range(0, len(ad), chunk):  # bounded memory at large scale
        sl = ad[c : c + chunk]
        i, d = _adopter_days(rng, s_day[sl])
        parts_i.append(sl[i])
        parts_d.append(d)
    i, d = _non_adopter_days(rng, s_day[na])
    parts_i.append(na[i])
    parts_d.append(d)
    uid = np.concatenate(parts_i).astype(np.int64)
    day = np.concatenate(parts_d).astype(np.int64)
    keep = day <= DATA_END
    key = np.unique(uid[keep] * 4096 + day[keep])
    uid, day = key // 4096, key % 4096

    # Time of day: right after signup on the signup day, else the login hour profile.
    on_signup_day = day == s_day[uid]
    after = np.minimum(
        np.exp(np.log(180.0) + 1.0 * rng.standard_normal(len(uid))).astype(np.int64), 4 * 3600
    )
    sod = np.where(
        on_signup_day,
        np.minimum(creation_ts[uid] % DAY + 1 + after, DAY - 1),
        sample_seconds_of_day(rng, LOGIN_HOURS, len(uid)),
    )
    ts = day * DAY + sod

    adopted, adopted_on = _realized_adoption(uid, day, n)
    last_row = np.flatnonzero(np.r_[uid[1:] != uid[:-1], True]) if len(uid) else np.arange(0)
    last_session = np.full(n, -1, dtype=np.int64)
    last_session[uid[last_row]] = ts[last_row] + EPOCH_UNIX
    logged_in = last_session >= 0

    # Quirk: a few extra rows dated before the user's signup (>= 8 days before, so the
    # 3-in-7 adoption rule gives the same answer with or without them).
    login_users = np.flatnonzero(logged_in)
    k_pre = min(len(login_users), max(1, round(PRE_SIGNUP_FRAC * len(uid))))
    pre_users = np.sort(rng.choice(login_users, size=k_pre, replace=False))
    pre_day = s_day[pre_users] - 8 - geometric0(rng, 15.0, k_pre)
    pre_ts = pre_day * DAY + sample_seconds_of_day(rng, LOGIN_HOURS, k_pre)
    all_uid = np.concatenate([uid, pre_users])
    all_ts = np.concatenate([ts, pre_ts])
    order = np.lexsort((all_uid, all_ts))
    login_uid, login_ts = all_uid[order], all_ts[order]
    login_bare = rng.random(len(login_uid)) < BARE_DATE_FRAC
    rows, n_dups = with_duplicates(rng, len(login_uid), LOGIN_DUP_FRAC)

    # Names and e-mails (text built later, per chunk).
    first_name = rng.integers(0, len(FIRST_NAMES), n)
    last_name = rng.integers(0, len(LAST_NAMES), n)
    email_pattern = sample_p(rng, (0.30, 0.18, 0.14, 0.08, 0.08, 0.14, 0.08), n)
    email_num = rng.integers(1, 10_000, n)
    email_public = np.where(rng.random(n) < CORPORATE_EMAIL, -1, sample_p(rng, PUBLIC_DOMAIN_P, n))
    email_case = sample_p(rng, (0.95, 0.04, 0.01), n)  # lower, Capitalised, UPPER
    a = np.asarray(ORG_WORD_A)[rng.integers(0, len(ORG_WORD_A), n_orgs)]
    b = np.asarray(ORG_WORD_B)[rng.integers(0, len(ORG_WORD_B), n_orgs)]
    t = np.asarray(ORG_TLD)[rng.integers(0, len(ORG_TLD), n_orgs)]
    org_domain = np.strings.add(np.strings.add(a, b), t)

    truth = _truth(
        n=n,
        n_orgs=n_orgs,
        source=source,
        invited=invited,
        opted_in=opted_in,
        drip=drip,
        latent=latent,
        adopted=adopted,
        adopted_on=adopted_on,
        logged_in=logged_in,
        s_day=s_day,
        uid=uid,
        day=day,
        n_pre=k_pre,
        n_bare=int(login_bare.sum()),
        n_dups=n_dups,
        n_login_rows=len(rows),
    )
    return Accounts(
        n_users=n,
        creation_ts=creation_ts,
        org=org,
        source=source,
        inviter=inviter,
        opted_in=opted_in,
        drip=drip,
        first_name=first_name,
        last_name=last_name,
        email_pattern=email_pattern,
        email_num=email_num,
        email_public=email_public,
        email_case=email_case,
        org_domain=org_domain,
        last_session=last_session,
        login_uid=login_uid,
        login_ts=login_ts,
        login_bare=login_bare,
        login_rows=rows,
        n_login_dups=n_dups,
        truth=truth,
    )


def _rate(mask: np.ndarray, sel: np.ndarray) -> float | None:
    return round(float(mask[sel].mean()), 4) if sel.any() else None


def _truth(**k) -> dict:
    n, source, invited, adopted = k["n"], k["source"], k["invited"], k["adopted"]
    s_day, uid, day, latent = k["s_day"], k["uid"], k["day"], k["latent"]
    # Early signal: active days in the first h days after signup (day 0 = signup day).
    since = day - s_day[uid]
    early = {}
    for h in (1, 3, 7, 14):
        cnt = np.bincount(uid[since < h], minlength=n)
        early[f"first_{h}_days"] = {
            "adopters_mean_active_days": round(float(cnt[adopted].mean()), 3)
            if adopted.any()
            else None,
            "non_adopters_mean_active_days": round(float(cnt[~adopted].mean()), 3),
            "adopters_already_adopted": round(float((cnt[adopted] >= 3).mean()), 3)
            if adopted.any()
            else None,
        }
    return {
        "adoption": {
            "definition": {"min_days": 3, "window_days": 7, "source": "logins (any row)"},
            "latent_model": {
                "type": "logistic",
                "intercept": INTERCEPT,
                "reference": "creation_source SIGNUP, not invited, not opted in, no drip",
                "invited_definition": "invited_by_user_id is not empty",
                "invited_log_odds": round(math.log(INVITED_OR), 6),
                "invited_odds_ratio": INVITED_OR,
                "creation_source_log_odds": dict(zip(SOURCES, SOURCE_LOG_ODDS, strict=True)),
                "opted_in_to_mailing_list_log_odds": OPTED_IN_LOG_ODDS,
                "enabled_for_marketing_drip_log_odds": DRIP_LOG_ODDS,
                "org_random_effect_sd": ORG_SD,
            },
            "realized": {
                "users": n,
                "orgs": k["n_orgs"],
                "latent_adopters": int(latent.sum()),
                "adopted": int(adopted.sum()),
                "adoption_rate": round(float(adopted.mean()), 4),
                "adoption_rate_invited": _rate(adopted, invited),
                "adoption_rate_not_invited": _rate(adopted, ~invited),
                "adoption_rate_by_creation_source": {
                    s: _rate(adopted, source == i) for i, s in enumerate(SOURCES)
                },
                "adoption_rate_opted_in": _rate(adopted, k["opted_in"]),
                "adoption_rate_not_opted_in": _rate(adopted, ~k["opted_in"]),
                "adoption_rate_drip": _rate(adopted, k["drip"]),
                "adoption_rate_no_drip": _rate(adopted, ~k["drip"]),
                "never_logged_in_rate": round(float((~k["logged_in"]).mean()), 4),
                "invited_share": round(float(invited.mean()), 4),
                "median_days_signup_to_adoption": float(
                    np.median(k["adopted_on"][adopted] - s_day[adopted])
                )
                if adopted.any()
                else None,
            },
            "behaviour": {
                "non_adopters_never_login": NEVER_LOGIN_NON_ADOPTER,
                "non_adopter_login_days_1_2_3": list(NON_ADOPTER_DAYS_P),
                "non_adopter_rule": "first and third login day are >= 7 days apart",
                "adopter_login_on_signup_day": ADOPTER_DAY0,
                "adopter_burst_starts_on_signup_day": ADOPTER_BURST_NOW,
                "adopter_burst_delay_mean_days_otherwise": 1 + ADOPTER_BURST_DELAY_MEAN,
                "adopter_burst_extra_day_prob": ADOPTER_BURST_EXTRA,
                "adopter_lifetime_median_days": ADOPTER_LIFETIME_MEDIAN,
                "adopter_lifetime_lognormal_sigma": ADOPTER_LIFETIME_SIGMA,
                "adopter_daily_login_beta": list(ADOPTER_DAILY_BETA),
                "login_weekday_multiplier_mon_sun": list(LOGIN_WEEKDAY),
                "login_hour_profile": [round(float(x), 4) for x in LOGIN_HOURS],
            },
        },
        "early_signal": {
            "description": "adopters are active in their first days after signup; "
            "predicting adoption improves as more days after signup are observed",
            "realized": early,
        },
        "logins_quirks": {
            "rows": k["n_login_rows"],
            "pre_signup_rows": k["n_pre"],
            "pre_signup_gap_days": ">= 8 (isolated, never changes adoption)",
            "bare_date_rows": k["n_bare"],
            "duplicate_rows": k["n_dups"],
        },
    }


# ----------------------------------------------------------------------------- writing

USERS_COLUMNS = (
    "object_id",
    "creation_time",
    "name",
    "email",
    "creation_source",
    "last_session_creation_time",
    "opted_in_to_mailing_list",
    "enabled_for_marketing_drip",
    "org_id",
    "invited_by_user_id",
)
LOGINS_COLUMNS = ("time_stamp", "user_id", "visited")


def write_users(acc: Accounts, writer: LandingWriter) -> None:
    first_folded = pa.array([_fold(x) for x in FIRST_NAMES])  # per vocabulary entry, not per row
    last_folded = pa.array([_fold(x) for x in LAST_NAMES])
    initials = pa.array([_fold(x)[0] for x in FIRST_NAMES])
    org_domain = pa.array(acc.org_domain)

    def chunk(a: int, b: int) -> list[pa.Array]:
        sl = slice(a, b)
        m = b - a
        fi, li = acc.first_name[sl], acc.last_name[sl]
        f, ln, ini = take(first_folded, fi), take(last_folded, li), take(initials, fi)
        num = int_text(acc.email_num[sl] % 100)
        patterns = [
            join(f, ln, sep="."),
            join(f, ln),
            join(ini, ln),
            join(ln, f, sep="."),
            join(f, ln, sep="_"),
            join(f, ln, num),
            join(f, int_text(acc.email_num[sl])),
        ]
        local = pc.choose(pa.array(acc.email_pattern[sl].astype(np.int8)), *patterns)
        pub = acc.email_public[sl]
        domain = pc.if_else(
            pa.array(pub < 0),
            take(org_domain, acc.org[sl]),
            take(PUBLIC_DOMAINS, np.maximum(pub, 0)),
        )
        email = join(local, domain, sep="@")
        case = acc.email_case[sl]
        email = pc.if_else(pa.array(case == 1), pc.utf8_capitalize(email), email)
        email = pc.if_else(pa.array(case == 2), pc.utf8_upper(email), email)
        last = acc.last_session[sl]
        inv = acc.inviter[sl]
        return [
            int_text(np.arange(a + 1, b + 1)),
            iso_datetime(acc.creation_ts[sl]),
            join(take(FIRST_NAMES, fi), take(LAST_NAMES, li), sep=" "),
            email,
            take(SOURCES, acc.source[sl]),
            blank_where(int_text(np.maximum(last, 0)), last < 0),
            int_text(acc.opted_in[sl].astype(np.int64)),
            int_text(acc.drip[sl].astype(np.int64)),
            int_text(acc.org[sl]),
            blank_where(join(int_text(inv), const(".0", m)), inv == 0),
        ]

    writer.write(
        "users",
        "users",
        header_line=",".join(USERS_COLUMNS),
        parquet_names=USERS_COLUMNS,
        quote=[
            "never",
            "never",
            "auto",
            "auto",
            "never",
            "never",
            "never",
            "never",
            "never",
            "never",
        ],
        n_rows=acc.n_users,
        chunk_fn=chunk,
        encoding="latin-1",
        split=False,
    )


def write_logins(acc: Accounts, writer: LandingWriter) -> None:
    def chunk(a: int, b: int) -> list[pa.Array]:
        r = acc.login_rows[a:b]
        ts = acc.login_ts[r]
        stamp = pc.if_else(pa.array(acc.login_bare[r]), iso_date(ts // DAY), iso_datetime(ts))
        return [stamp, int_text(acc.login_uid[r] + 1), const("1", b - a)]

    writer.write(
        "logins",
        "logins",
        header_line=",".join(LOGINS_COLUMNS),
        parquet_names=LOGINS_COLUMNS,
        quote=["never"] * 3,
        n_rows=len(acc.login_rows),
        chunk_fn=chunk,
    )
