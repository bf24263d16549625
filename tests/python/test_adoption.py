"""fct_adoption against the adoption rule computed in plain Python from the generated
landing files, user by user."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

from conftest import query

MIN_DAYS, WINDOW_DAYS = 3, 7  # the dbt vars' defaults


def read_csv(path) -> list[dict]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    reader = csv.DictReader(io.StringIO(text))
    return [{k.strip(): v for k, v in row.items()} for row in reader]


def python_adoption(landing) -> dict[int, dict]:
    signups: dict[int, dt.date] = {}
    for row in read_csv(landing / "users" / "users.csv"):
        user_id = int(row["object_id"])
        signups.setdefault(user_id, dt.datetime.fromisoformat(row["creation_time"]).date())
    days: dict[int, set[dt.date]] = defaultdict(set)
    before: dict[int, set[dt.date]] = defaultdict(set)
    for row in read_csv(landing / "logins" / "logins.csv"):
        user_id = int(row["user_id"])
        day = dt.date.fromisoformat(row["time_stamp"][:10])
        if user_id in signups:
            (days if day >= signups[user_id] else before)[user_id].add(day)
    result = {}
    for user_id, signup in signups.items():
        active = sorted(days[user_id])
        adopted_on = None
        for i in range(len(active) - MIN_DAYS + 1):
            if (active[i + MIN_DAYS - 1] - active[i]).days < WINDOW_DAYS:
                adopted_on = active[i + MIN_DAYS - 1]
                break
        result[user_id] = {
            "is_adopted": adopted_on is not None,
            "adopted_on": adopted_on,
            "active_days": len(active),
            "active_days_before_signup": len(before[user_id]),
            "first_active_date": active[0] if active else None,
            "last_active_date": active[-1] if active else None,
            "days_from_signup_to_adoption": (adopted_on - signup).days if adopted_on else None,
        }
    return result


def test_fct_adoption_matches_the_rule_computed_in_python(sample_dir, sample_db):
    expected = python_adoption(sample_dir)
    columns = [
        "is_adopted",
        "adopted_on",
        "active_days",
        "active_days_before_signup",
        "first_active_date",
        "last_active_date",
        "days_from_signup_to_adoption",
    ]
    rows = query(sample_db, f"select user_id, {', '.join(columns)} from marts.fct_adoption")
    actual = {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}
    assert set(actual) == set(expected)
    mismatches = [uid for uid in expected if actual[uid] != expected[uid]]
    assert not mismatches, [(uid, expected[uid], actual[uid]) for uid in mismatches[:5]]
    adopted = sum(r["is_adopted"] for r in expected.values())
    # The comparison means something only if both outcomes occur in numbers.
    assert 0.05 * len(expected) < adopted < 0.5 * len(expected)


def test_invited_users_adopt_more_often_as_planted(sample_db):
    rates = dict(
        query(
            sample_db,
            "select is_invited, avg(case when is_adopted then 1.0 else 0 end) "
            "from marts.fct_adoption group by 1",
        )
    )
    assert rates[True] > 1.5 * rates[False]
