"""The user-day spine marts against a plain Python restatement: every row of
fct_user_day_windows (and of the spans it expands), fct_user_weeks and
rpt_daily_active_users recomputed, with loops, dicts and sorted lists, from nothing but
the active days of int_user_days_aggregated and the ends of the data in
int_user_type_data_ends_computed."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict

import duckdb
import pytest
import yaml
from conftest import PROJECT_DIR, assert_same_rows, query, run_dbt

VARS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
TRAILING_WINDOW_DAYS = VARS["trailing_window_days"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEK_START = WEEKDAYS.index(VARS["week_start_day"].lower())
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)


def week_start(day: dt.date) -> dt.date:
    """First day of the week (starting on var week_start_day) that holds `day`."""
    return day - dt.timedelta(days=(day.weekday() - WEEK_START) % 7)


def active_days_between(active: list[dt.date], first: dt.date, last: dt.date) -> int:
    """Active days (a sorted list) from `first` to `last`, both included."""
    return bisect_right(active, last) - bisect_left(active, first)


@pytest.fixture(scope="module")
def users(sample_db) -> list[dict]:
    """Each user: key, type, sorted active days, data end of the type and the spine's
    first and last day (first active day; last active day + trailing_window_days - 1,
    never past the data end)."""
    sql = "select user_type, data_end_date from intermediate.int_user_type_data_ends_computed"
    data_ends = dict(query(sample_db, sql))
    days = defaultdict(list)
    user_types = {}
    for user_key, user_type, day in query(
        sample_db,
        "select user_key, user_type, activity_date from intermediate.int_user_days_aggregated",
    ):
        days[user_key].append(day)
        assert user_types.setdefault(user_key, user_type) == user_type, user_key
    result = []
    for user_key, active in days.items():
        active.sort()
        end = data_ends[user_types[user_key]]
        result.append(
            {
                "user_key": user_key,
                "user_type": user_types[user_key],
                "active": active,
                "data_end_date": end,
                "first": active[0],
                "last": min(active[-1] + (TRAILING_WINDOW_DAYS - 1) * DAY, end),
            }
        )
    return result


@pytest.fixture(scope="module")
def expected_windows(users) -> dict[tuple, tuple]:
    """(user_key, calendar_date) -> (user_type, is_active, days since first active,
    active days in the trailing 7 and 28 days)."""
    rows = {}
    for user in users:
        active, active_set = user["active"], set(user["active"])
        day = user["first"]
        while day <= user["last"]:
            rows[user["user_key"], day] = (
                user["user_type"],
                day in active_set,
                (day - user["first"]).days,
                active_days_between(active, day - 6 * DAY, day),
                active_days_between(active, day - 27 * DAY, day),
            )
            day += DAY
    return rows


def keyed(rows: list[tuple], key_length: int) -> dict[tuple, tuple]:
    result = {row[:key_length]: row[key_length:] for row in rows}
    assert len(result) == len(rows), "duplicate keys in the mart"
    return result


def test_user_day_windows_match_a_plain_count(sample_db, users, expected_windows):
    actual = query(
        sample_db,
        "select user_key, calendar_date, user_type, is_active, days_since_first_active, "
        "active_days_trailing_7d, active_days_trailing_28d from marts.fct_user_day_windows",
    )
    assert_same_rows(keyed(actual, 2), expected_windows)
    # Guard against a vacuous comparison: quiet days, full windows and spines cut at the
    # data end all occur.
    values = expected_windows.values()
    assert any(not row[1] for row in values)
    assert any(row[3] == 7 for row in values) and any(row[4] > 7 for row in values)
    reach = (TRAILING_WINDOW_DAYS - 1) * DAY
    assert any(user["last"] < user["active"][-1] + reach for user in users)


def test_window_spans_are_the_maximal_runs_of_equal_days(sample_db, users, expected_windows):
    # The stored spans: each user's days cut wherever a value changes, and nowhere else.
    expected = {}
    for user in users:
        start, values = None, None
        day = user["first"]
        while day <= user["last"]:
            _, is_active, _, trailing_7d, trailing_28d = expected_windows[user["user_key"], day]
            if (is_active, trailing_7d, trailing_28d) != values:
                start, values = day, (is_active, trailing_7d, trailing_28d)
            expected[user["user_key"], start] = (
                user["user_type"],
                user["first"],
                day,
                *values,
            )
            day += DAY
    actual = query(
        sample_db,
        "select user_key, valid_from_date, user_type, first_active_date, valid_to_date, "
        "is_active, active_days_trailing_7d, active_days_trailing_28d "
        "from intermediate.int_user_window_spans_computed",
    )
    assert_same_rows(keyed(actual, 2), expected)
    # The point of spans: far fewer rows than days, and runs of active days do merge.
    assert len(expected) * 2 < len(expected_windows)
    assert any(row[3] and row[2] > start for (_, start), row in expected.items())


def test_user_weeks_match_a_plain_count(sample_db, users):
    expected = {}
    for user in users:
        per_week = Counter(week_start(day) for day in user["active"])
        first_week, previous = week_start(user["first"]), 0
        week = first_week
        while week <= week_start(user["last"]):
            active_days = per_week[week]
            if week == first_week:
                state = "new"
            elif active_days and previous:
                state = "returning"
            elif active_days:
                state = "resurrecting"
            elif previous:
                state = "dormant"
            else:
                state = None
            expected[user["user_key"], week] = (
                user["user_type"],
                active_days,
                active_days > 0,
                week + 6 * DAY <= user["data_end_date"],
                state,
            )
            previous = active_days
            week += WEEK
    actual = query(
        sample_db,
        "select user_key, week_start_date, user_type, active_days, is_active, "
        "is_complete_week, lifecycle_state from marts.fct_user_weeks",
    )
    assert_same_rows(keyed(actual, 2), expected)
    # Guard against a vacuous comparison: every state occurs, and incomplete weeks do
    # unless each data end falls on the last day of a week (as in the generated sample).
    states = Counter(row[4] for row in expected.values())
    assert all(states[state] for state in ["new", "returning", "resurrecting", "dormant", None])
    data_ends = {user["data_end_date"] for user in users}
    if any(end < week_start(end) + 6 * DAY for end in data_ends):
        assert any(not row[3] for row in expected.values())
    assert all(week.weekday() == WEEK_START for _, week in expected)


def test_daily_active_users_match_a_plain_count(sample_db, expected_windows):
    counts = defaultdict(lambda: [0, 0, 0])
    for (_, day), (user_type, is_active, _, trailing_7d, trailing_28d) in expected_windows.items():
        cell = counts[user_type, day]
        cell[0] += is_active
        cell[1] += trailing_7d > 0
        cell[2] += trailing_28d > 0
    expected = {
        key: (daily, weekly, monthly, daily / monthly if monthly else None)
        for key, (daily, weekly, monthly) in counts.items()
    }
    actual = query(
        sample_db,
        "select user_type, calendar_date, daily_active_users, weekly_active_users, "
        "monthly_active_users, dau_over_mau from marts.rpt_daily_active_users",
    )

    def same(a: tuple, e: tuple) -> bool:
        if a[3] is None or e[3] is None:
            return a == e
        return a[:3] == e[:3] and math.isclose(a[3], e[3], abs_tol=1e-12)

    assert_same_rows(keyed(actual, 2), expected, same)
    # Guard against a vacuous comparison: the three counts differ somewhere.
    assert any(row[0] < row[1] < row[2] for row in expected.values())


def test_span_tests_fail_on_what_the_day_tests_caught(sample_dir, sample_db, tmp_path):
    # fct_user_day_windows's key and its link to dim_users are tested on the spans it
    # expands. Planted in a copy, among the recent spans (those that a build without
    # --full-refresh tests): a span reaching one day into the next span of its user
    # (a day twice in the view), a span ending the day before it starts, and a span of
    # a user that dim_users does not hold. Each makes its test fail.
    db_path = tmp_path / "planted.duckdb"
    shutil.copy(sample_db, db_path)
    spans = "intermediate.int_user_window_spans_computed"
    with duckdb.connect(str(db_path)) as conn:
        overlapping, inverted = conn.execute(
            f"""
            with ranked as (
                select
                    user_key,
                    valid_from_date,
                    valid_to_date,
                    row_number() over (
                        partition by user_key order by valid_from_date desc
                    ) as from_last,
                    max(valid_to_date) over (partition by user_type) as type_end_date
                from {spans}
            )
            select user_key from ranked
            where from_last = 2 and valid_to_date >= type_end_date - 30
            order by user_key
            limit 2
            """
        ).fetchall()
        # The last-but-one span of one user reaches the first day of the last one.
        conn.execute(
            f"""
            update {spans} set valid_to_date = valid_to_date + 1
            where user_key = ? and valid_from_date = (
                select max(valid_from_date) from {spans}
                where user_key = ? and valid_from_date < (
                    select max(valid_from_date) from {spans} where user_key = ?
                )
            )
            """,
            [overlapping[0]] * 3,
        )
        # The last span of another ends the day before it starts.
        conn.execute(
            f"""
            update {spans} set valid_to_date = valid_from_date - 1
            where user_key = ? and valid_from_date = (
                select max(valid_from_date) from {spans} where user_key = ?
            )
            """,
            [inverted[0]] * 2,
        )
        # A recent span of a user who is in no dimension.
        conn.execute(
            f"""
            insert into {spans} by name
            select 'account:planted' as user_key, * exclude (user_key) from {spans}
            where user_type = 'account'
            order by valid_to_date desc, user_key
            limit 1
            """
        )
        # What the view's uniqueness test on (user_key, calendar_date) caught before.
        duplicated_days = conn.execute(
            "select user_key from marts.fct_user_day_windows "
            "group by user_key, calendar_date having count(*) > 1"
        ).fetchall()
    assert duplicated_days == [overlapping]

    result = run_dbt(["test", "--select", spans.split(".")[1]], sample_dir, db_path)
    assert result.returncode != 0, result.stdout[-5000:]
    run_results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text())
    outcomes = {
        row["unique_id"].split(".")[2].split("_int_user_window_spans")[0]: (
            row["status"],
            row["failures"],
        )
        for row in run_results["results"]
        if row["unique_id"].startswith("test.")
    }
    assert outcomes["non_overlapping_spans"] == ("fail", 2), outcomes
    assert outcomes["relationships"] == ("fail", 1), outcomes
    # The spans' key, (user_key, valid_from_date), does not see an overlap.
    assert outcomes["unique_combination"] == ("pass", 0), outcomes
