"""Content-sharing marts against the raw exports counted in plain Python, and the
planted weekday effect recovered by the behaviour-difference table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict

import pytest
from conftest import query

COLUMNS = [
    "activity_type",
    "user_id",
    "rm_id",
    "user_os",
    "viewing_app",
    "user_groups",
    "shared_date",
    "shared_time",
    "title",
    "channel",
    "viewed",
    "time_spent",
    "last_activity_date",
    "last_activity_time",
]
CONTRACT = [
    "Activity Type",
    "User ID",
    "RM ID",
    "User OS",
    "Viewing App",
    "User Groups",
    "Shared Date",
    "Shared Time",
    "Title of Content",
    "Share Channel",
    "Viewed",
    "Time Spent in Seconds",
    "Last Activity Date",
    "Last Activity Time",
]


def export_rows(path) -> list[dict]:
    """The records of one export, keyed by contract column, read with csv alone."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    position = {name: header.index(name) for name in CONTRACT}
    return [
        {short: row[position[name]].strip() for short, name in zip(COLUMNS, CONTRACT, strict=True)}
        for row in reader
        if row
    ]


def month_of(text: str) -> dt.date:
    day = dt.datetime.strptime(text, "%d-%b-%Y").date()
    return day.replace(day=1)


def hand_counts(sample_dir):
    """Per customer and per (customer, month of last activity): the business figures."""
    totals, monthly = {}, defaultdict(lambda: defaultdict(set))
    for path in sorted((sample_dir / "share_view").glob("*.csv")):
        code = path.stem
        rows = export_rows(path)
        shares = [r for r in rows if r["activity_type"] == "SHARE"]
        views = [r for r in rows if r["activity_type"] == "VIEW"]
        seen, duplicates = set(), 0
        for r in shares:
            key = tuple(r.values())
            duplicates += key in seen
            seen.add(key)
        totals[code] = {
            "sharing_users": len({r["user_id"] for r in shares}),
            "shares": len(shares),
            "exact_duplicate_shares": duplicates,
            "viewed_shares": sum(r["viewed"] == "1" for r in shares),
            "views": len(views),
            "viewing_clients": len({r["user_id"] for r in views}),
        }
        for r in shares:
            cell = monthly[(code, month_of(r["last_activity_date"]))]
            cell["clients"].add(r["user_id"])
            cell["shares"].add(id(r))
    monthly_counts = {
        key: {"sharing_users": len(cell["clients"]), "shares": len(cell["shares"])}
        for key, cell in monthly.items()
    }
    return totals, monthly_counts


def test_customer_engagement_reconciles_with_the_raw_exports(sample_dir, sample_db):
    expected, _ = hand_counts(sample_dir)
    names = list(next(iter(expected.values())))
    rows = query(
        sample_db,
        f"select customer_code, {', '.join(names)}, shares_per_sharing_user "
        "from marts.fct_customer_engagement",
    )
    actual = {row[0]: dict(zip(names, row[1:-1], strict=True)) for row in rows}
    assert actual == expected
    for row in rows:
        values = dict(zip(names, row[1:-1], strict=True))
        assert row[-1] == pytest.approx(values["shares"] / values["sharing_users"])


def test_monthly_sharing_users_and_shares_reconcile(sample_dir, sample_db):
    _, expected = hand_counts(sample_dir)
    rows = query(
        sample_db,
        "select customer_code, activity_month, sharing_users, shares "
        "from marts.fct_customer_monthly_engagement where shares > 0",
    )
    actual = {(code, month): {"sharing_users": u, "shares": s} for code, month, u, s in rows}
    assert actual == expected
    assert len(actual) >= 6 * 12


def test_planted_weekday_peak_is_recovered_with_evidence(sample_dir, sample_db):
    truth = json.loads((sample_dir / "GENERATOR.json").read_text())["effects"]["headline"]
    peak = truth["view_weekday_peak"]
    rows = query(
        sample_db,
        "select customer_code, is_different, top_category, p_value, effect_size "
        "from marts.fct_customer_behaviour_differences where dimension = 'weekday'",
    )
    by_customer = {row[0]: row[1:] for row in rows}
    is_different, top_category, p_value, effect_size = by_customer[peak["customer"]]
    assert is_different and top_category == peak["weekday"]
    assert p_value < 1e-6 and effect_size >= 0.05
    # The planted customer stands out more on weekdays than any other customer does.
    assert effect_size == max(values[3] for values in by_customer.values())
