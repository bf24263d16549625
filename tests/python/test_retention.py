"""The retention marts against a plain Python count: every cell of rpt_retention_cohorts
and rpt_retention_segments recomputed, with loops and dicts, from the users of
int_user_cohorts_assigned and their active days in int_user_days_aggregated."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict

import pytest
import yaml
from conftest import PROJECT_DIR, assert_same_rows, query

VARS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
MAX_PERIOD = {
    "day": VARS["retention_max_days"],
    "week": VARS["retention_max_weeks"],
    "month": VARS["retention_max_months"],
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# segment -> the user types it describes
SEGMENTS = {
    "creation_source": ["account"],
    "os_family": ["web_user", "client"],
    "browser_family": ["web_user", "client"],
    "device_type": ["web_user", "client"],
    "plan": ["web_user"],
    "customer_code": ["client"],
    "industry": ["client"],
}
COUNTS = ["observable_users", "retained_users", "retained_or_later_users"]


def add_months(day: dt.date, months: int) -> dt.date:
    """DuckDB's date + interval: the same day of the month, or that month's last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period(unit: str, start: dt.date, number: int) -> tuple[dt.date, dt.date]:
    """First and last day of period `number` of a user whose clock starts on `start`."""
    if unit == "month":
        return add_months(start, number), add_months(start, number + 1) - dt.timedelta(days=1)
    length = 7 if unit == "week" else 1
    first = start + dt.timedelta(days=length * number)
    return first, first + dt.timedelta(days=length - 1)


@pytest.fixture(scope="module")
def users(sample_db) -> list[dict]:
    """Each user of int_user_cohorts_assigned with `flags`: (unit, N) -> (observable, active in N,
    active in N or later)."""
    columns = ["user_key", "user_type", "cohort_date", "data_end_date", *SEGMENTS]
    rows = query(
        sample_db,
        f"select {', '.join(columns)} from intermediate.int_user_cohorts_assigned"
        " left join intermediate.int_user_type_data_ends_computed using (user_type)",
    )
    days = defaultdict(list)
    for user_key, day in query(
        sample_db, "select user_key, activity_date from intermediate.int_user_days_aggregated"
    ):
        days[user_key].append(day)
    result = []
    for row in rows:
        user = dict(zip(columns, row, strict=True))
        start, end = user["cohort_date"], user["data_end_date"]
        active = sorted(day for day in days[user["user_key"]] if day >= start)
        user["flags"] = {}
        for unit, max_period in MAX_PERIOD.items():
            for number in range(max_period + 1):
                first, last = period(unit, start, number)
                user["flags"][unit, number] = (
                    end is not None and last <= end,
                    bisect_right(active, last) > bisect_left(active, first),
                    bool(active) and active[-1] >= first,
                )
        result.append(user)
    return result


def cells(members) -> dict[tuple, tuple]:
    """(cell key, flags) pairs -> cell key -> (users, observable, retained,
    retained or later, retention rate, unbounded rate, is_complete)."""
    counts = defaultdict(lambda: [0, 0, 0, 0])
    for key, (observable, active, later) in members:
        cell = counts[key]
        cell[0] += 1
        cell[1] += observable
        cell[2] += observable and active
        cell[3] += observable and later
    return {
        key: (
            total,
            observable,
            retained,
            later,
            retained / observable if observable else None,
            later / observable if observable else None,
            observable == total,
        )
        for key, (total, observable, retained, later) in counts.items()
    }


def same_cell(a: tuple, e: tuple) -> bool:
    """Counts and is_complete exactly, rates (positions 4 and 5) within 1e-12."""

    def same_rate(x: float | None, y: float | None) -> bool:
        return x == y if x is None or y is None else math.isclose(x, y, abs_tol=1e-12)

    rates = all(same_rate(x, y) for x, y in zip(a[4:6], e[4:6], strict=True))
    return a[:4] == e[:4] and a[6] == e[6] and rates


def test_month_arithmetic_follows_duckdb(sample_db):
    starts = [dt.date(2023, 1, 28) + dt.timedelta(days=i) for i in range(4)]
    starts += [dt.date(2024, 1, 29) + dt.timedelta(days=i) for i in range(3)]
    for start in starts:
        sql = f"select cast(date '{start}' + to_months(n) as date) from range(0, 26) t(n)"
        assert [add_months(start, n) for n in range(26)] == [r[0] for r in query(sample_db, sql)]


def test_cohorts_match_a_plain_count(sample_db, users):
    week_start = WEEKDAYS.index(VARS["week_start_day"].lower())
    members = []
    for user in users:
        start = user["cohort_date"]
        week = start - dt.timedelta(days=(start.weekday() - week_start) % 7)
        for (unit, number), flags in user["flags"].items():
            grain, cohort = ("month", start.replace(day=1)) if unit == "month" else ("week", week)
            members.append(((user["user_type"], grain, cohort, unit, number), flags))
    actual = query(
        sample_db,
        "select user_type, cohort_grain, cohort_start_date, period_unit, period_number, "
        f"cohort_users, {', '.join(COUNTS)}, retention_rate, unbounded_retention_rate, "
        "is_complete from marts.rpt_retention_cohorts",
    )
    assert_same_rows({row[:5]: row[5:] for row in actual}, cells(members), same_cell)


def test_segments_match_a_plain_count(sample_db, users):
    members = []
    for user in users:
        for segment, user_types in SEGMENTS.items():
            if user["user_type"] not in user_types:
                continue
            value = "unknown" if user[segment] is None else user[segment]
            for number in range(MAX_PERIOD["week"] + 1):
                key = (user["user_type"], segment, value, number)
                members.append((key, user["flags"]["week", number]))
    actual = query(
        sample_db,
        "select user_type, segment_type, segment_value, week_number, "
        f"user_count, {', '.join(COUNTS)}, retention_rate, unbounded_retention_rate, "
        "is_complete from marts.rpt_retention_segments",
    )
    assert_same_rows({row[:4]: row[4:] for row in actual}, cells(members), same_cell)
