"""The aha-moment marts and the page recommendations: the 2 x 2 tables against a plain
Python count, the planted page ranked first and surviving the later cohort, and the
recommender beating the popularity baseline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import defaultdict

import numpy as np
import pandas as pd
from conftest import query

from uptake import aha, recommend


def page_days(sample_dir) -> dict[str, dict[dt.date, set[str]]]:
    """user -> day -> pages, from the page_events export (duplicates do not matter)."""
    text = (sample_dir / "page_events" / "page_events.csv").read_text()
    days: dict[str, dict[dt.date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in csv.DictReader(io.StringIO(text)):
        day = dt.date.fromisoformat(row["ts"][:10])
        days[row["user_id"]][day].add(row["page"])
    return days


def test_contingency_matches_a_plain_count(sample_dir, sample_db):
    days = page_days(sample_dir)
    data_end = max(max(d) for d in days.values())
    cells = dict.fromkeys(["tp", "fp", "fn", "tn"], 0)
    for by_day in days.values():
        first = min(by_day)
        if first + dt.timedelta(days=14) > data_end:
            continue
        did = any(
            "reports_builder" in by_day.get(first + dt.timedelta(days=i), ()) for i in range(3)
        )
        retained = any(first + dt.timedelta(days=i) in by_day for i in range(8, 15))
        cells[("t" if did == retained else "f") + ("p" if did else "n")] += 1
    row = query(
        sample_db,
        "select true_positives, false_positives, false_negatives, true_negatives, phi "
        "from intermediate.int_aha_contingency where cohort = 'all' and user_type = 'web_user' "
        "and action = 'page:reports_builder' and threshold = 1 and window_days = 3",
    )[0]
    assert row[:4] == (cells["tp"], cells["fp"], cells["fn"], cells["tn"])
    tp, fp, fn, tn = row[:4]
    expected_phi = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (fn + tn) * (tp + fn) * (fp + tn))
    assert math.isclose(row[4], expected_phi)


def test_planted_page_is_the_aha_moment_and_survives_later_users(sample_dir, sample_db):
    truth = json.loads((sample_dir / "GENERATOR.json").read_text())["effects"]["headline"]
    page = f"page:{truth['return_predictive_first_day_page']}"
    best = query(
        sample_db,
        "select action, phi_low from marts.fct_aha_moments "
        "where user_type = 'web_user' and rank_in_user_type = 1",
    )
    assert best[0][0] == page and best[0][1] > 0
    validated = query(
        sample_db,
        "select action, holds_up, later_rank_in_user_type from marts.fct_aha_validation "
        "where user_type = 'web_user' and earlier_rank_in_user_type = 1",
    )
    assert validated[0][0] == page and validated[0][1] and validated[0][2] <= 3


def test_windows_into_the_retention_days_are_not_ranked(sample_db):
    leaks = query(
        sample_db,
        "select count(*) from marts.fct_aha_moments "
        "where window_days > 8 and rank_in_user_type is not null",
    )
    assert leaks == [(0,)]


def test_bootstrap_interval_brackets_phi():
    table = pd.DataFrame(
        {
            "true_positives": [60],
            "false_positives": [40],
            "false_negatives": [20],
            "true_negatives": [80],
        }
    )
    table["phi"] = aha.phi_of(table[aha.CELLS].to_numpy())
    result = aha.bootstrap_phi(table, samples=300, seed=1).iloc[0]
    assert result["phi_low"] < result["phi"] < result["phi_high"]
    assert math.isclose(result["phi"], (60 * 80 - 40 * 20) / math.sqrt(100 * 100 * 80 * 120))


def test_recommender_beats_popularity_on_generated_data(sample_db):
    metrics = pd.DataFrame(
        query(
            sample_db,
            "select model_name, k, hit_rate_at_k, precision_at_k, users_evaluated "
            "from marts.ml_page_recommendation_metrics",
        ),
        columns=["model_name", "k", "hit_rate", "precision", "users"],
    ).set_index(["k", "model_name"])
    assert metrics["users"].min() > 100
    for k in (1, 3):
        assert (
            metrics.loc[(k, "item_cosine"), "precision"]
            > metrics.loc[(k, "most_popular"), "precision"]
        )


def test_recommendations_are_new_pages_only(sample_db):
    overlap = query(
        sample_db,
        "select count(*) from marts.ml_page_recommendations as recs "
        "inner join intermediate.int_user_page_usage as used "
        "on recs.user_id = used.user_id and recs.page = used.page",
    )
    assert overlap == [(0,)]


def test_a_user_who_used_every_page_gets_no_rows():
    usage = pd.DataFrame(
        [("a", p) for p in "xyz"] + [("b", "x"), ("b", "y"), ("c", "y"), ("c", "z")],
        columns=["user_id", "page"],
    )
    result = recommend.recommend(usage, top_n=2)
    assert "a" not in set(result["user_id"])
    assert set(result.loc[result.user_id == "b", "page"]) == {"z"}
    assert np.all(result["score"] > 0)
