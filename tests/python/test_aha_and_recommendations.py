"""The aha-moment marts and the page recommendations: the 2 x 2 tables against a plain
Python count, the planted page ranked first and surviving the later cohort, and the
recommender beating the popularity baseline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import math
from collections import defaultdict

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import query, run_dbt

from uptake import aha, recommend

BURN_IN_DAYS = 30  # dbt_project.yml: first_activity_burn_in_days


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
    burn_in_end = min(min(d) for d in days.values()) + dt.timedelta(days=BURN_IN_DAYS)
    cells = dict.fromkeys(["tp", "fp", "fn", "tn"], 0)
    left_out = 0
    for by_day in days.values():
        first = min(by_day)
        if first < burn_in_end:  # perhaps active before the export: not a first day
            left_out += 1
            continue
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
        "from intermediate.int_aha_thresholds_tabulated "
        "where cohort = 'all' and user_type = 'web_user' "
        "and action = 'page:reports_builder' and threshold = 1 and window_days = 3",
    )[0]
    assert row[:4] == (cells["tp"], cells["fp"], cells["fn"], cells["tn"])
    published = query(
        sample_db,
        "select users_left_out from marts.rpt_first_activity_burn_in where user_type = 'web_user'",
    )
    assert published == [(left_out,)] and left_out > 0
    tp, fp, fn, tn = row[:4]
    expected_phi = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (fn + tn) * (tp + fn) * (fp + tn))
    assert math.isclose(row[4], expected_phi)


def test_planted_page_is_the_aha_moment_and_survives_later_users(sample_dir, sample_db):
    truth = json.loads((sample_dir / "GENERATOR.json").read_text())["effects"]["headline"]
    page = f"page:{truth['return_predictive_first_day_page']}"
    best = query(
        sample_db,
        "select action, phi_low from marts.rpt_aha_moments "
        "where user_type = 'web_user' and rank_in_user_type = 1",
    )
    assert best[0][0] == page and best[0][1] > 0
    validated = query(
        sample_db,
        "select action, holds_up, later_rank_in_user_type from marts.rpt_aha_validation "
        "where user_type = 'web_user' and earlier_rank_in_user_type = 1",
    )
    # holds_up: later phi above 0, not below the earlier interval, still in the top 10
    # (the order among the planted page's neighbouring windows is noise: at this scale
    # ~220 later users, their phis within 0.07 of each other)
    assert validated[0][0] == page and validated[0][1] and validated[0][2] <= 10


def test_a_candidate_that_falls_or_drops_out_of_the_top_does_not_hold_up():
    def cohort(name: str, cells: list[tuple[int, int, int, int]]) -> pd.DataFrame:
        table = pd.DataFrame(cells, columns=aha.CELLS)
        return table.assign(
            user_type="web_user",
            cohort=name,
            action=[f"page:{i}" for i in range(len(cells))],
            threshold=1,
            window_days=3,
            users=table.sum(axis=1),
            is_rankable=True,
            precision=np.nan,
            recall=np.nan,
            lift=np.nan,
            reach=np.nan,
        ).assign(phi=lambda t: aha.phi_of(t[aha.CELLS].to_numpy()))

    # earlier: phi 0.6, 0.4, 0.5 and 0.3 for pages 0-3; 2000 users each
    earlier = cohort(
        "earlier",
        [(800, 200, 200, 800), (700, 300, 300, 700), (750, 250, 250, 750), (650, 350, 350, 650)],
    )
    # later: pages 0 and 2 as before; page 1 falls to phi 0.1 (still > 0); page 3 rises
    # to 0.7 and ranks first
    later = cohort(
        "later",
        [(800, 200, 200, 800), (550, 450, 450, 550), (750, 250, 250, 750), (850, 150, 150, 850)],
    )
    table = pd.concat([earlier, later], ignore_index=True)
    result = aha.validate(table, top=3, samples=200, seed=1).set_index("action")
    assert list(result.index) == ["page:0", "page:2", "page:1"]  # the earlier top 3
    assert (result["later_phi_low"] > 0).all()  # the old rule held every one up
    assert result.loc["page:0", "holds_up"] and result.loc["page:2", "holds_up"]
    assert not result.loc["page:1", "holds_up"]  # fell below its earlier interval
    # with top = 2, page 2 keeps its phi but ranks third among later users: out
    top_two = aha.validate(table, top=2, samples=200, seed=1).set_index("action")
    assert top_two["later_rank_in_user_type"].tolist() == [2, 3]
    assert top_two["holds_up"].tolist() == [True, False]


def test_windows_into_the_retention_days_are_not_ranked(sample_db):
    leaks = query(
        sample_db,
        "select count(*) from marts.rpt_aha_moments "
        "where window_days > 8 and rank_in_user_type is not null",
    )
    assert leaks == [(0,)]


AHA_MILESTONES = [
    "build", "--resource-type", "seed", "--resource-type", "model",
    "--select", "+int_aha_action_milestones_dated",
]  # fmt: skip


def _receive_share_counts(db, user_key: str) -> list[tuple]:
    return query(
        db,
        "select threshold, day_number from intermediate.int_aha_action_milestones_dated "
        f"where user_key = '{user_key}' and action = 'receive_share' order by 1",
    )


def test_a_late_share_reopens_a_closed_aha_window(tmp_path):
    # A SHARE record lands with its latest activity: one sent on day 1 of a client whose
    # aha window closed long ago arrives with the last day of the data. The incremental
    # run (which otherwise recomputes recent users only) must count it, as a full
    # refresh of the same files does.
    from uptake.generator import generate

    raw_dir = tmp_path / "landing"
    generate(raw_dir, seed=3, scale=0.05, fmt="parquet")
    db = tmp_path / "incremental" / "uptake.duckdb"
    db.parent.mkdir()
    result = run_dbt(AHA_MILESTONES, raw_dir, db)
    assert result.returncode == 0, result.stdout[-5000:]

    # a client past the burn-in whose first 14 days ended well before the data's end
    # (beyond the look-back), with fewer than 10 shares received in them
    (user_key, first_active_date, data_end_date) = query(
        db,
        "select users.user_key, users.first_active_date, ends.data_end_date "
        "from intermediate.int_aha_users_labelled as users "
        "inner join intermediate.int_user_type_data_ends_computed as ends "
        "on users.user_type = ends.user_type "
        "where users.user_type = 'client' and not users.is_in_burn_in "
        "and users.first_active_date + 30 < ends.data_end_date "
        "and users.user_key not in (select user_key "
        "from intermediate.int_aha_action_milestones_dated "
        "where action = 'receive_share' and threshold = 10) "
        "order by users.user_key limit 1",
    )[0]
    before = _receive_share_counts(db, user_key)
    (_, customer_code, client_id) = user_key.split(":")

    export = pq.read_table(raw_dir / "share_view" / f"{customer_code}.parquet")
    row = export.to_pandas().head(1)
    values = {
        "activity type": "SHARE",
        "user id": client_id,
        "shared date": (first_active_date + dt.timedelta(days=1)).strftime("%d-%b-%Y"),
        "shared time": "12:00:00",
        "title of content": "A late share",
        "viewed": "0",
        "time spent in seconds": "0",
        "last activity date": data_end_date.strftime("%d-%b-%Y"),
        "last activity time": "12:00:00",
    }
    for column in row.columns:
        if column.strip().lower() in values:
            row[column] = values[column.strip().lower()]
    late = pa.Table.from_pandas(row, schema=export.schema, preserve_index=False)
    pq.write_table(late, raw_dir / "share_view" / f"{customer_code}__late.parquet")

    result = run_dbt(AHA_MILESTONES, raw_dir, db)
    assert result.returncode == 0, result.stdout[-5000:]
    after = _receive_share_counts(db, user_key)
    # one more share within the window: one more count reached, and none later than it was
    assert len(after) == len(before) + 1
    assert all(now[1] <= then[1] for now, then in zip(after[:-1], before, strict=True))

    full = tmp_path / "full" / "uptake.duckdb"
    full.parent.mkdir()
    result = run_dbt([*AHA_MILESTONES, "--full-refresh"], raw_dir, full)
    assert result.returncode == 0, result.stdout[-5000:]
    with duckdb.connect() as conn:
        conn.execute(f"attach '{db}' as inc (read_only)")
        conn.execute(f"attach '{full}' as ful (read_only)")
        differing = conn.execute(
            "select count(*) from ("
            "(select * from inc.intermediate.int_aha_action_milestones_dated "
            "except all select * from ful.intermediate.int_aha_action_milestones_dated) "
            "union all (select * from ful.intermediate.int_aha_action_milestones_dated "
            "except all select * from inc.intermediate.int_aha_action_milestones_dated))"
        ).fetchone()[0]
    assert differing == 0


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
        "inner join intermediate.int_user_pages_counted as used "
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


def small_usage() -> pd.DataFrame:
    """Pages a-d; before the split u1 and u2 use a and b, u3 uses c, u4 uses a; after it
    u1 takes up c, u3 d and u4 b."""
    before, after = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-10")
    rows = [("u1", "a"), ("u1", "b"), ("u2", "a"), ("u2", "b"), ("u3", "c"), ("u4", "a")]
    rows = [(u, p, before) for u, p in rows]
    rows += [("u1", "c", after), ("u3", "d", after), ("u4", "b", after)]
    return pd.DataFrame(rows, columns=["user_id", "page", "first_used_at"])


def brute_force_random(candidates: list[set], wanted: list[set], k: int) -> tuple[float, float]:
    """Mean hit rate and precision at k over every equally likely random pick of
    min(k, c) of a user's candidates, averaged over users."""
    hits, precisions = [], []
    for pages, want in zip(candidates, wanted, strict=True):
        picks = list(itertools.combinations(sorted(pages), min(k, len(pages))))
        hits.append(sum(bool(set(p) & want) for p in picks) / len(picks))
        precisions.append(sum(len(set(p) & want) / k for p in picks) / len(picks))
    return sum(hits) / len(hits), sum(precisions) / len(precisions)


def test_recommender_is_evaluated_as_served_against_random_and_popular():
    usage = small_usage()
    metrics = recommend.evaluate(usage, ks=[1, 2], test_fraction=0.3, bootstrap_samples=200)
    metrics = metrics.set_index(["model_name", "k"])
    # u1's candidates c and d both score 0 by cosine (nothing co-used with a or b): as
    # served, u1 gets no page, so no hit (ranked among zeros, c would have hit). u3's
    # candidates all score 0 too; u4 gets b (co-used with a): 1 hit in 3 users.
    assert metrics.loc[("item_cosine", 1), "hit_rate_at_k"] == pytest.approx(1 / 3)
    assert metrics.loc[("item_cosine", 2), "precision_at_k"] == pytest.approx((0 + 0 + 0.5) / 3)
    # most popular (a 3, b 2, c 1, d 0 users before the split): u1 gets c, u3 a, u4 b;
    # d never: it scores 0
    assert metrics.loc[("most_popular", 1), "hit_rate_at_k"] == pytest.approx(2 / 3)
    assert metrics.loc[("most_popular", 2), "precision_at_k"] == pytest.approx((0.5 + 0 + 0.5) / 3)
    # the random pick among each user's unused pages, by enumeration
    candidates = [{"c", "d"}, {"a", "b", "d"}, {"b", "c", "d"}]
    wanted = [{"c"}, {"d"}, {"b"}]
    for k in (1, 2):
        hit, precision = brute_force_random(candidates, wanted, k)
        assert metrics.loc[("random", k), "hit_rate_at_k"] == pytest.approx(hit)
        assert metrics.loc[("random", k), "precision_at_k"] == pytest.approx(precision)
    assert metrics.loc[("random", 1), "candidate_pages_mean"] == pytest.approx(8 / 3)
    # the gain over most-popular (paired per user: -1, 0, 0 at k = 1) and its interval
    cosine = metrics.loc[("item_cosine", 1)]
    assert cosine["hit_rate_gain_over_popular"] == pytest.approx(-1 / 3)
    assert -1 <= cosine["hit_rate_gain_low"] <= -1 / 3 <= cosine["hit_rate_gain_high"] <= 0
    assert metrics.loc[("most_popular", 1), ["hit_rate_gain_over_popular"]].isna().all()


def test_random_expectation_matches_a_seeded_simulation():
    rng = np.random.default_rng(3)
    candidates = rng.integers(0, 9, 300)
    wanted = np.minimum(candidates, rng.integers(0, 5, 300))
    for k in (1, 2, 3):
        hit, precision = recommend.random_expectation(candidates, wanted, k)
        sim_hit, sim_precision = np.zeros(300), np.zeros(300)
        for i, (c, h) in enumerate(zip(candidates, wanted, strict=True)):
            if c == 0:
                continue
            picks = np.array([rng.permutation(c)[: min(k, c)] for _ in range(2000)])
            found = (picks < h).sum(axis=1)  # pages 0..h-1 are the wanted ones
            sim_hit[i], sim_precision[i] = (found > 0).mean(), (found / k).mean()
        assert np.abs(hit - sim_hit).max() < 0.05
        assert np.abs(precision - sim_precision).max() < 0.05
        assert abs(hit.mean() - sim_hit.mean()) < 0.005


def test_paired_interval_has_the_normal_width_and_is_seeded():
    rng = np.random.default_rng(5)
    differences = rng.choice([-1.0, 0.0, 1.0], size=800, p=[0.1, 0.7, 0.2])
    low, high = recommend.paired_interval(differences, samples=2000, seed=1)
    half = 1.96 * differences.std() / np.sqrt(len(differences))
    assert low < differences.mean() < high
    assert (high - low) / 2 == pytest.approx(half, rel=0.1)
    assert (low, high) == recommend.paired_interval(differences, samples=2000, seed=1)
    assert recommend.paired_interval(np.full(50, 0.25), samples=100, seed=1) == (0.25, 0.25)


def generated_usage(seed: int) -> pd.DataFrame:
    """Users and pages whose ids sort unlike their order of appearance (lengths, case,
    digits, non-ASCII), rows shuffled, first uses spread over 30 days."""
    rng = np.random.default_rng(seed)
    pages = ["b10", "b9", "B", "a", "Ä", "a/b", "é"]
    users = [f"{prefix}{n}" for prefix in ("u", "U", "ü", "u-") for n in (1, 2, 10, 33, 100)]
    rows = [
        (user, page, pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(30))))
        for user in users
        for page, p in zip(pages, rng.uniform(0.1, 0.7, len(pages)), strict=True)
        if rng.random() < p
    ]
    usage = pd.DataFrame(rows, columns=["user_id", "page", "first_used_at"])
    return usage.sample(frac=1, random_state=seed).reset_index(drop=True)


def plain_recommend(usage: pd.DataFrame, top_n: int) -> list[tuple[str, str, float, int]]:
    """recommend() by hand: sets, loops and math.sqrt; ties by page name."""
    used = defaultdict(set)
    for user, page in zip(usage["user_id"], usage["page"], strict=True):
        used[user].add(page)
    pages = sorted({p for ps in used.values() for p in ps})
    users_of = {p: {u for u, ps in used.items() if p in ps} for p in pages}

    def cosine(p: str, q: str) -> float:
        both = len(users_of[p] & users_of[q])
        return both / math.sqrt(len(users_of[p]) * len(users_of[q])) if p != q else 0.0

    rows = []
    for user in sorted(used):
        scores = {
            p: sum(cosine(q, p) for q in used[user]) / len(used[user])
            for p in pages
            if p not in used[user]
        }
        # float32 in recommend(): scores equal in exact arithmetic may differ in their
        # last digits there, so rank by the score rounded, then by page
        best = sorted(scores, key=lambda p: (-round(scores[p], 5), p))[:top_n]
        served = [p for p in best if scores[p] > 0]
        rows += [(user, p, scores[p], rank) for rank, p in enumerate(served, start=1)]
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recommend_matches_a_plain_python_recommender(seed):
    usage = generated_usage(seed)
    result = recommend.recommend(usage[["user_id", "page"]], top_n=3)
    expected = plain_recommend(usage, top_n=3)
    columns = ["user_id", "page", "score", "recommendation_rank"]
    got = list(result[columns].itertuples(index=False, name=None))
    assert [(u, p, r) for u, p, _, r in got] == [(u, p, r) for u, p, _, r in expected]
    assert [s for *_, s, _ in got] == pytest.approx([s for *_, s, _ in expected], rel=1e-6)
    assert set(result["model_name"]) == {recommend.COSINE}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_evaluation_split_matches_a_plain_python_count(seed):
    usage = generated_usage(seed)
    metrics = recommend.evaluate(usage, ks=[1, 2], test_fraction=0.3, bootstrap_samples=50)
    split_at = metrics["split_at"].iloc[0]
    before = defaultdict(set)
    for user, page, first_used_at in usage.itertuples(index=False):
        if first_used_at < split_at:
            before[user].add(page)
    later = defaultdict(set)
    for user, page, first_used_at in usage.itertuples(index=False):
        if first_used_at >= split_at and user in before:
            later[user].add(page)
    all_pages = set(usage["page"])
    candidates = [len(all_pages - before[user]) for user in sorted(later)]
    assert (metrics["train_users"] == len(before)).all()
    assert (metrics["users_evaluated"] == len(later)).all()
    assert metrics["candidate_pages_mean"].to_numpy() == pytest.approx(
        sum(candidates) / len(candidates)
    )
    # most popular, by hand: users per page before the split, ties by page name
    popularity = {p: sum(p in ps for ps in before.values()) for p in all_pages}
    for k in (1, 2):
        hits = []
        for user in sorted(later):
            ranked = sorted(all_pages - before[user], key=lambda p: (-popularity[p], p))
            hits.append(bool({p for p in ranked[:k] if popularity[p] > 0} & later[user]))
        row = metrics[(metrics["model_name"] == recommend.POPULAR) & (metrics["k"] == k)]
        assert row["hit_rate_at_k"].item() == pytest.approx(sum(hits) / len(hits))


def _metrics_state(db) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(
            "select * from marts.ml_page_recommendation_metrics order by k, model_name"
        ).df()


def _evaluated_now(db) -> pd.DataFrame:
    """recommend.evaluate on the built page usage as it is now, with the project's vars
    (recommendation_top_n 3, ml_test_fraction 0.3, 1000 resamples, seed 42)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        usage = conn.execute("select * from intermediate.int_user_pages_counted").df()
    result = recommend.evaluate(
        usage, ks=[1, 2, 3], test_fraction=0.3, bootstrap_samples=1000, seed=42
    )
    return result.sort_values(["k", "model_name"]).reset_index(drop=True)


def _same_values(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Equal cell for cell (exactly), whatever the dtypes (DuckDB's read back or pandas')."""
    try:
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_exact=True)
    except AssertionError:
        return False
    return True


def test_recommendation_metrics_are_evaluated_on_the_fits_cadence_only(tmp_path):
    # A new day of page events with users new to the data (so the split and the
    # evaluated users change): kept while var ml_refit_after_days has not passed,
    # evaluated again on the new usage with the var at 0. ml_page_recommendations is a
    # table, recomputed on every build.
    from uptake.generator import generate

    raw_dir = tmp_path / "landing"
    generate(raw_dir, seed=5, scale=0.05, fmt="parquet")
    db = tmp_path / "db" / "uptake.duckdb"
    db.parent.mkdir()
    build = ["build", "--resource-type", "seed", "--resource-type", "model"]
    build += ["--select", "+ml_page_recommendation_metrics", "ml_page_recommendations"]
    result = run_dbt(build, raw_dir, db)
    assert result.returncode == 0, result.stdout[-5000:]
    first = _metrics_state(db)
    first_end = first["fitted_data_end"].max()
    assert _same_values(
        first.drop(columns=["fit_scope", "fitted_data_end"]).reset_index(drop=True),
        _evaluated_now(db),
    )
    with duckdb.connect() as conn:
        conn.execute(
            "copy (select * replace (user_id || '_new' as user_id, "
            "strftime(cast(ts as timestamp) + interval 1 day, '%Y-%m-%d %H:%M:%S') as ts) "
            f"from read_parquet('{raw_dir}/page_events/*.parquet') "
            f"where cast(ts as timestamp) >= timestamp '{first_end}' - interval 20 day) "
            f"to '{raw_dir}/page_events/zz_next_day.parquet' (format parquet)"
        )
    for refit_after_days in (7, 0):
        result = run_dbt(build, raw_dir, db, {"ml_refit_after_days": refit_after_days})
        assert result.returncode == 0, result.stdout[-5000:]
        stored = _metrics_state(db)
        now = _evaluated_now(db)
        metrics = stored.drop(columns=["fit_scope", "fitted_data_end"]).reset_index(drop=True)
        if refit_after_days:
            pd.testing.assert_frame_equal(stored, first)
            assert not _same_values(metrics, now)  # kept, though the usage has moved on
        else:
            assert stored["fitted_data_end"].max() == first_end + pd.Timedelta(days=1)
            assert _same_values(metrics, now)
    recommended = query(db, "select count(distinct user_id) from marts.ml_page_recommendations")
    new_users = query(
        db,
        "select count(distinct user_id) from marts.ml_page_recommendations "
        "where user_id like '%\\_new' escape '\\'",
    )
    assert recommended[0][0] > 0 and new_users[0][0] > 0
