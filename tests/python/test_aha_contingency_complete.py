"""int_aha_thresholds_tabulated is complete: every (user type, cohort, action, k, d) cell of every
cohort exists, over the cohort's whole population, also where nobody of the cohort did
the action k times (issue 13). A hand-made landing where the later cohort never logs in
more than three times in its first 14 days, and uses one page that no later user opens,
against a plain Python count of the same rows."""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_same_rows, query, run_dbt

from uptake import aha

# dbt_project.yml defaults
MAX_THRESHOLD, MAX_WINDOW = 10, 14
RETENTION_START, RETENTION_END = 8, 14
VALIDATION_FRACTION = 0.3
MIN_USERS = 5  # set for this build: the default 30 would rank nothing in 60 users
BURN_IN = 10  # set for this build: the default 30 would leave out every January user
SIGNED_UP_BEFORE = 10  # accounts 1-10 signed up before the login export starts

USERS_HEADER = (
    "object_id,creation_time,name,email,creation_source,last_session_creation_time,"
    "opted_in_to_mailing_list,enabled_for_marketing_drip,org_id,invited_by_user_id"
)
WEB_USER_BASE = 10**38  # page_events user ids are 39-digit integers
END = dt.date(2024, 3, 10)  # the last day of the data


def _first_day(rng: random.Random, early: bool) -> dt.date:
    """January for the early users; February to early March for the others, so that
    the data (cut at END) does not cover the retention days of the latest of them."""
    return dt.date(2024, 1, 1) + dt.timedelta(
        days=rng.randrange(28) if early else 31 + rng.randrange(35)
    )


def _dates(first: dt.date, days: list[int]) -> list[dt.date]:
    """The dates of the given day numbers that the data covers, in order."""
    dates = {first + dt.timedelta(days=day) for day in days}
    return sorted(date for date in dates if date <= END)


def _write_landing(root: Path) -> None:
    """60 accounts (logins) and 40 web-tool users (page events) until END. Accounts 1-42
    and web users 0-27 start in January and are active on many early days; the others
    start later, and the accounts among them log in at most three times in days 0..13,
    the web users among them never open page 'export'."""
    rng = random.Random(13)
    login_lines, page_lines = [f"{END} 12:00:00,1,1"], []
    for user in range(1, 61):
        early = user <= 42
        first = _first_day(rng, early)
        if early:
            days = [0, *rng.sample(range(1, 14), rng.randint(0, 11))]
            days += rng.sample(range(14, 40), rng.randint(0, 3))
        else:
            days = [0, *rng.sample(range(1, 14), rng.randint(0, 2))]
            days += [14] if rng.random() < 0.4 else []
        for date in _dates(first, days):
            stamp = f"{date} {rng.randint(6, 11):02d}:00:00"
            login_lines.append(f"{stamp},{user},1")
            if early and rng.random() < 0.3:  # a second login that day: counts twice
                login_lines.append(f"{date} 18:30:00,{user},1")
            if rng.random() < 0.1:  # an exact duplicate: counts once
                login_lines.append(f"{stamp},{user},1")
    page_lines.append(f"{END} 12:00:00.000000,{WEB_USER_BASE},Windows,Chrome,monthly,home")
    for user in range(40):
        early = user < 28
        first = _first_day(rng, early)
        pages = ["home", "export"] if early else ["home"]
        days = [0, *rng.sample(range(1, 20), rng.randint(0, 8))]
        for date in _dates(first, days):
            for _ in range(rng.randint(1, 3)):
                second = rng.randrange(86_400)
                stamp = f"{date} {second // 3600:02d}:"
                stamp += f"{second // 60 % 60:02d}:{second % 60:02d}.{rng.randrange(10**6):06d}"
                page = rng.choice(pages)
                page_lines.append(f"{stamp},{WEB_USER_BASE + user},Windows,Chrome,monthly,{page}")
    for folder, header, lines in [
        (
            "users",
            USERS_HEADER,
            [
                f"{user},{'2023-11-15' if user <= SIGNED_UP_BEFORE else '2024-01-01'} 00:00:00,"
                f"User {user},u{user}@example.com,SIGNUP,,0,0,1,"
                for user in range(1, 61)
            ],
        ),
        ("logins", "time_stamp,user_id,visited", login_lines),
        ("page_events", "ts,user_id,os,browser,plan,page", page_lines),
    ]:
        (root / folder).mkdir(parents=True)
        (root / folder / f"{folder}.csv").write_text("\n".join([header, *lines]) + "\n")


def _events(root: Path) -> list[tuple[str, str, str, dt.date]]:
    """(user type, user id, action, day) of every qualifying event, exact duplicates once."""
    with open(root / "logins" / "logins.csv", newline="") as f:
        logins = {(row["user_id"], row["time_stamp"]) for row in csv.DictReader(f)}
    with open(root / "page_events" / "page_events.csv", newline="") as f:
        pages = [(row["user_id"], row["page"], row["ts"]) for row in csv.DictReader(f)]
    return [
        ("account", user, "login", dt.date.fromisoformat(stamp[:10])) for user, stamp in logins
    ] + [
        ("web_user", user, f"page:{page}", dt.date.fromisoformat(stamp[:10]))
        for user, page, stamp in pages
    ]


def _signups(root: Path) -> dict[str, dt.date]:
    """account id -> signup day, from the users export."""
    with open(root / "users" / "users.csv", newline="") as f:
        return {
            row["object_id"]: dt.date.fromisoformat(row["creation_time"][:10])
            for row in csv.DictReader(f)
        }


def _expected_cells(
    events: list[tuple[str, str, str, dt.date]], signups: dict[str, dt.date]
) -> dict:
    """The contingency cells counted user by user, from the definitions in dbt_project.yml
    and int_aha_users_labelled / int_aha_action_milestones_dated: users first seen within
    BURN_IN days of their export's first day are left out, unless they are accounts that
    signed up on or after it."""
    counts = defaultdict(Counter)  # (type, user) -> (action, day) -> events
    for user_type, user, action, day in events:
        counts[user_type, user][action, day] += 1
    export_start = {}  # type -> the earliest day of its export
    for user_type, _, _, day in events:
        export_start[user_type] = min(export_start.get(user_type, dt.date.max), day)
    firsts = {}
    for (user_type, user), c in counts.items():
        first = min(day for _, day in c)
        start = export_start[user_type]
        signed_up_inside = user_type == "account" and signups[user] >= start
        if first >= start + dt.timedelta(days=BURN_IN) or signed_up_inside:
            firsts[user_type, user] = first
    counts = {key: c for key, c in counts.items() if key in firsts}
    data_end = {}  # type -> the latest active day of any of its users (all users)
    for user_type, _, _, day in events:
        data_end[user_type] = max(data_end.get(user_type, dt.date.min), day)
    epoch = dt.date(2000, 1, 1)
    split = {
        t: np.quantile(
            [(f - epoch).days for (ut, _), f in firsts.items() if ut == t],
            1 - VALIDATION_FRACTION,
        )
        for t in data_end
    }
    population = defaultdict(list)  # (type, cohort) -> [(retained, reached)]
    actions = defaultdict(set)
    for (user_type, user), c in counts.items():
        first = firsts[user_type, user]
        if first + dt.timedelta(days=RETENTION_END) > data_end[user_type]:
            continue  # retention days not observed
        retained = any(RETENTION_START <= (day - first).days <= RETENTION_END for _, day in c)
        reached = defaultdict(dict)  # action -> k -> day number on which k was reached
        for action in {a for a, _ in c}:
            so_far = 0
            for number in range(MAX_WINDOW):
                for k in range(so_far + 1, so_far + c[action, first + dt.timedelta(number)] + 1):
                    reached[action].setdefault(k, number)
                so_far += c[action, first + dt.timedelta(number)]
            if so_far:
                actions[user_type].add(action)
        cohort = "earlier" if (first - epoch).days < split[user_type] else "later"
        for key in [(user_type, cohort), (user_type, "all")]:
            population[key].append((retained, reached))
    cells = {}
    for (user_type, cohort), people in population.items():
        users, retained_users = len(people), sum(r for r, _ in people)
        for action in actions[user_type]:
            for k in range(1, MAX_THRESHOLD + 1):
                for d in range(1, MAX_WINDOW + 1):
                    did = [r for r, reached in people if reached[action].get(k, math.inf) < d]
                    tp, fp = sum(did), len(did) - sum(did)
                    fn, tn = retained_users - tp, users - retained_users - fp
                    margins = (tp + fp) * (fn + tn) * (tp + fn) * (fp + tn)
                    phi = (tp * tn - fp * fn) / math.sqrt(margins) if margins else None
                    key = (user_type, cohort, action, k, d)
                    cells[key] = (users, tp, fp, fn, tn, (tp + fp) / users, phi)
    return cells


def _same(actual: tuple, expected: tuple) -> bool:
    *counts, reach, phi = actual
    *expected_counts, expected_reach, expected_phi = expected
    return (
        tuple(counts) == tuple(expected_counts)
        and math.isclose(reach, expected_reach)
        and (phi is None) == (expected_phi is None)
        and (phi is None or math.isclose(phi, expected_phi, abs_tol=1e-12))
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("aha_landing")
    _write_landing(root / "landing")
    db_path = root / "db" / "aha.duckdb"
    db_path.parent.mkdir()
    result = run_dbt(
        [
            *["build", "--resource-type", "seed", "--resource-type", "model"],
            *["--select", "+int_aha_thresholds_tabulated", "rpt_aha_moments", "rpt_aha_validation"],
            "rpt_first_activity_burn_in",
        ],
        root / "landing",
        db_path,
        {"aha_min_users": MIN_USERS, "first_activity_burn_in_days": BURN_IN},
    )
    assert result.returncode == 0, result.stdout[-5000:]
    return root / "landing", db_path


def test_every_cell_of_every_cohort_over_its_whole_population(landing):
    raw_dir, db_path = landing
    expected = _expected_cells(_events(raw_dir), _signups(raw_dir))
    # the case of issue 13: a cell that no later user reached, but earlier users did
    assert expected["account", "later", "login", 4, 14][1:3] == (0, 0)
    assert expected["account", "earlier", "login", 4, 14][1:3] != (0, 0)
    assert expected["web_user", "later", "page:export", 1, 14][1:3] == (0, 0)
    # and a population that leaves out the users whose retention days the data misses
    assert expected["account", "all", "login", 1, 1][0] < 60
    assert expected["web_user", "all", "page:home", 1, 1][0] < 40
    # and the burn-in: users first seen in the first BURN_IN days are left out, except
    # accounts that signed up inside the export
    burn_in = query(
        db_path,
        "select user_type, users_first_seen_in_burn_in, users_kept_for_signup_in_export, "
        "users_left_out from marts.rpt_first_activity_burn_in order by 1",
    )
    assert burn_in[0][0] == "account" and burn_in[0][2] > 0 and burn_in[0][3] > 0
    assert burn_in[1][0] == "web_user" and burn_in[1][3] == burn_in[1][1] > 0
    rows = query(
        db_path,
        "select user_type, cohort, action, threshold, window_days, users, true_positives, "
        "false_positives, false_negatives, true_negatives, reach, phi "
        "from intermediate.int_aha_thresholds_tabulated",
    )
    actual = {row[:5]: row[5:] for row in rows}
    assert_same_rows(actual, expected, _same)


def test_cells_without_phi_are_not_ranked(landing):
    _, db_path = landing
    ranked = query(
        db_path,
        "select count(*), count(case when phi is null then 1 end) from marts.rpt_aha_moments "
        "where rank_in_user_type is not null",
    )
    assert ranked[0][0] > 0 and ranked[0][1] == 0
    everyone = query(
        db_path,
        "select count(*) from intermediate.int_aha_thresholds_tabulated where cohort = 'all'",
    )
    assert query(db_path, "select count(*) from marts.rpt_aha_moments") == everyone
    unranked = query(
        db_path,
        "select count(*) from marts.rpt_aha_validation "
        "where later_phi is null and (holds_up or later_rank_in_user_type is not null)",
    )
    assert unranked == [(0,)]


def test_a_cell_without_phi_gets_no_rank_and_no_interval():
    table = pd.DataFrame(
        {
            "user_type": ["account"] * 3,
            "action": ["login"] * 3,
            "threshold": [1, 2, 3],
            "window_days": [7, 7, 7],
            "true_positives": [30, 0, 40],
            "false_positives": [30, 0, 0],
            "false_negatives": [10, 40, 0],
            "true_negatives": [50, 80, 80],
            "is_rankable": [True, True, True],
        }
    )
    table["phi"] = aha.phi_of(table[aha.CELLS].to_numpy())
    result = aha.rank_candidates(aha.bootstrap_phi(table, samples=50, seed=1))
    assert result["phi"].isna().tolist() == [False, True, False]
    assert result["rank_in_user_type"].tolist() == [2, pd.NA, 1]
    assert result["is_best_for_action"].tolist() == [False, False, True]
    assert result.loc[1, ["phi_low", "phi_high"]].isna().all()
