"""The scored tables: deterministic, better than their baselines, the planted effects
recovered, and features that do not move when the future changes (no leakage)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import query, run_dbt

from uptake import explain, ml, share_models

# Leakage tests change every login from CUTOFF on, and every page event from PAGE_CUTOFF on.
CUTOFF = dt.date(2024, 1, 15)
PAGE_CUTOFF = dt.date(2024, 3, 15)
SHARE_CUTOFF = dt.date(2023, 7, 1)  # ... and every VIEW record of the share_view exports


def frame_of(db_path, table: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as conn:
        return conn.execute(f"select * from {table}").df()


def synthetic(n: int, seed: int) -> pd.DataFrame:
    """A frame where x_signal drives the label and x_noise does not."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "entity_id": np.arange(n),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, n), "D"),
            "x_signal": signal,
            "x_noise": rng.normal(size=n),
            "flag": rng.random(n) < 0.5,
            "colour": rng.choice(["red", "blue"], n),
        }
    )
    frame["label"] = rng.random(n) < 1 / (1 + np.exp(-(2 * signal - 1)))
    return frame


SPEC = ml.Spec(
    name="synthetic",
    key=("entity_id",),
    label="label",
    time_column="day",
    categorical=("colour",),
    numeric=("x_signal", "x_noise"),
    binary=("flag",),
    baseline="x_noise",
)
FAST = ml.Settings(seed=3, bootstrap_samples=20, cv_folds=3)


def test_same_input_gives_the_same_models_and_scores():
    frame = synthetic(1500, seed=1)
    first, second = ml.fit(frame, SPEC, FAST), ml.fit(frame, SPEC, FAST)
    pd.testing.assert_frame_equal(ml.metrics_frame(first, SPEC), ml.metrics_frame(second, SPEC))
    stamp = pd.Timestamp("2024-06-01")
    scores = [
        ml.score_latest(frame, f, SPEC, band=(0.3, 0.7), scored_at=stamp) for f in (first, second)
    ]
    pd.testing.assert_frame_equal(*scores)


def test_time_split_trains_on_the_past_and_tests_on_the_future():
    frame = synthetic(1000, seed=2)
    train, test = ml.time_split(frame, "day", 0.3)
    assert train["day"].max() < test["day"].min()
    assert 0.2 < len(test) / len(frame) < 0.4


def test_signal_is_found_and_noise_is_not():
    frame = synthetic(3000, seed=4)
    fitted = ml.fit(frame, SPEC, FAST)
    metrics = ml.metrics_frame(fitted, SPEC).set_index("model_name")
    assert (metrics["roc_auc"] > metrics["baseline_roc_auc"] + 0.2).all()
    coefficients = ml.explanations_frame(fitted, SPEC).query("measure == 'coefficient'")
    odds = coefficients.set_index("feature")
    assert odds.loc["x_signal", "odds_ratio_low"] > 1
    assert odds.loc["x_noise", "odds_ratio_low"] <= 1 <= odds.loc["x_noise", "odds_ratio_high"]


def test_scores_have_deciles_band_and_factors():
    frame = synthetic(2000, seed=5)
    scores = ml.score_latest(
        frame,
        ml.fit(frame, SPEC, FAST),
        SPEC,
        band=(0.4, 0.6),
        scored_at=pd.Timestamp("2024-06-01"),
    )
    assert len(scores) == len(frame) and scores["entity_id"].is_unique
    assert sorted(scores["decile"].unique()) == list(range(1, 11))
    by_decile = scores.groupby("decile")["probability"].mean()
    assert by_decile.is_monotonic_increasing
    assert scores["is_on_the_fence"].equals(scores["probability"].between(0.4, 0.6))
    top = scores.sort_values("probability").iloc[-1]
    assert top["top_factors"].startswith("x_signal")


def test_adoption_models_beat_their_baseline_and_tell_sooner_with_time(sample_db):
    metrics = frame_of(sample_db, "marts.ml_adoption_metrics")
    logistic = metrics[metrics.model_name == ml.LOGISTIC].sort_values("cutoff_days")
    assert (metrics["roc_auc"] > metrics["baseline_roc_auc"]).all()
    assert logistic["cohort_roc_auc"].is_monotonic_increasing
    assert logistic["cohort_roc_auc"].iloc[-1] > logistic["cohort_roc_auc"].iloc[0] + 0.15
    # Activity after signup is what tells: the first day's activity already helps.
    by_cutoff = logistic.set_index("cutoff_days")["roc_auc"]
    assert by_cutoff[1] > by_cutoff[0]


def explained_odds(sample_db, table: str) -> pd.DataFrame:
    """The coefficient and dropped rows of the model fitted to be read."""
    explanations = frame_of(sample_db, f"marts.{table}")
    return explanations[explanations.model_name == explain.EXPLAINED]


def test_planted_adoption_effects_come_out(sample_db, sample_dir):
    truth = pd.read_json(sample_dir / "GENERATOR.json", typ="series")["effects"]
    planted = truth["adoption"]["latent_model"]
    explained = explained_odds(sample_db, "ml_adoption_explanations")
    odds = explained.query("measure == 'coefficient' and cutoff_days == 0").set_index("feature")
    # Invited users adopt more often: the interval of the cut-off-0 fit (nothing else
    # known yet but the signup attributes) holds the planted odds ratio, and is above 1.
    invited = odds.loc["is_invited"]
    assert invited["reference"] == "is_invited = false"
    assert invited["odds_ratio_low"] < planted["invited_odds_ratio"] < invited["odds_ratio_high"]
    assert invited["odds_ratio_low"] > 1
    # Creation sources are read against the generator's reference, SIGNUP; the planted
    # PERSONAL_PROJECTS effect (0.55) is below 1.
    sources = odds[odds.index.str.startswith("creation_source = ")]
    assert (sources["reference"] == "creation_source = SIGNUP").all()
    personal = odds.loc["creation_source = PERSONAL_PROJECTS"]
    log_odds = planted["creation_source_log_odds"]["PERSONAL_PROJECTS"]
    assert personal["odds_ratio_low"] < np.exp(log_odds) < personal["odds_ratio_high"] < 1
    # The marketing drip has no effect (planted 1.0): its interval holds 1.
    drip = odds.loc["is_enabled_for_marketing_drip"]
    assert drip["odds_ratio_low"] <= 1 <= drip["odds_ratio_high"]
    assert "export-time state" in drip["note"]


def test_explanations_have_no_copies_and_name_their_references(sample_db):
    features = frame_of(sample_db, "intermediate.int_adoption_features")
    explained = explained_odds(sample_db, "ml_adoption_explanations")
    numbers = [*ml.ADOPTION.numeric, *ml.ADOPTION.binary]
    for cutoff, part in explained.groupby("cutoff_days"):
        kept = part.query("measure == 'coefficient'")
        # No two kept numeric or boolean features are perfectly correlated at a cut-off
        # (on the rows the model can learn from there).
        rows = features[(features.cutoff_days == cutoff) & ~features.is_adopted_before_cutoff]
        rows = rows[rows[ml.ADOPTION.label].notna()]
        columns = [f for f in numbers if f in set(kept["feature"])]
        correlation = rows[columns].astype(float).corr().abs().to_numpy()
        np.fill_diagonal(correlation, 0)
        assert np.nanmax(correlation) < 0.999, cutoff
        # Logins are one per active day: a copy, dropped, saying of what.
        dropped = part.query("measure == 'dropped'").set_index("feature")["note"]
        if cutoff > 0:
            assert (
                dropped["logins_before_cutoff"] == "equal to active_days_before_cutoff on every row"
            )
        # Every category is compared with a named level that has no row of its own.
        categories = kept[kept.feature.str.contains(" = ")]
        assert categories["reference"].str.contains(" = ").all()
        assert not set(categories["reference"]) & set(kept["feature"])
    # At cut-offs 1 and 3 the last window reaches back past signup: a copy.
    for cutoff in (1, 3):
        dropped = explained.query(f"measure == 'dropped' and cutoff_days == {cutoff}")
        assert "active_days_in_last_window" in set(dropped["feature"])


def test_explanation_intervals_are_wald_intervals_of_that_fit(sample_db):
    for table in ("ml_adoption_explanations", "ml_return_explanations"):
        kept = explained_odds(sample_db, table).query("measure == 'coefficient'")
        assert len(kept)
        assert (kept["odds_ratio_low"] < kept["odds_ratio"]).all()
        assert (kept["odds_ratio"] < kept["odds_ratio_high"]).all()
        # Not the L1 bootstrap's point mass at 0: no interval ends at exactly 1.
        assert ((kept["odds_ratio_low"] != 1) & (kept["odds_ratio_high"] != 1)).all()
        # exp(beta +- 1.96 se), nothing else.
        low = np.exp(kept["value"] - explain.Z95 * kept["std"])
        np.testing.assert_allclose(kept["odds_ratio_low"], low, rtol=1e-9)
        assert kept["reference"].notna().all() and kept["unit"].notna().all()


def test_customer_and_industry_are_permuted_together(sample_db):
    explanations = frame_of(sample_db, "marts.ml_share_view_explanations")
    importances = explanations.query("measure == 'permutation_importance'")
    for name in ml.FAMILIES:
        features = set(importances.query(f"model_name == '{name}'")["feature"])
        assert "customer_code + industry" in features
        assert not {"customer_code", "industry"} & features
    # The explanation model keeps one of the two, and says the other is a copy.
    dropped = explained_odds(sample_db, "ml_share_view_explanations").query("measure == 'dropped'")
    industry = dropped[dropped.feature.str.startswith("industry = ")]
    assert len(industry) and industry["note"].str.startswith("equal to customer_code = ").all()


def test_planted_return_page_comes_out(sample_db, sample_dir):
    metrics = frame_of(sample_db, "marts.ml_return_metrics")
    assert (metrics["roc_auc"] > metrics["baseline_roc_auc"]).all()
    truth = pd.read_json(sample_dir / "GENERATOR.json", typ="series")["effects"]["headline"]
    page = f"page_{truth['return_predictive_first_day_page']}_events"
    odds = (
        explained_odds(sample_db, "ml_return_explanations")
        .query("measure == 'coefficient'")
        .set_index("feature")
    )
    assert odds.loc[page, "odds_ratio_low"] > 1
    pages = odds[odds.index.str.startswith("page_")]
    assert odds.loc[page, "odds_ratio"] == pages["odds_ratio"].max()


def test_scored_tables_cover_every_entity(sample_db):
    (users,) = query(sample_db, "select count(*) from marts.fct_adoption")[0]
    (scored,) = query(sample_db, "select count(*) from marts.ml_adoption_scores")[0]
    assert scored == users
    (web_users,) = query(sample_db, "select count(*) from intermediate.int_return_features")[0]
    (returned,) = query(sample_db, "select count(*) from marts.ml_return_scores")[0]
    assert returned == web_users


def rewrite_csv(path, keep, extra_rows=()):
    data = path.read_bytes().decode("latin-1")
    rows = list(csv.reader(io.StringIO(data)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows([row for row in rows[1:] if row and keep(row)] + list(extra_rows))
    path.write_bytes(out.getvalue().encode("latin-1"))


@pytest.fixture(scope="module")
def future_changed_db(sample_dir, tmp_path_factory):
    """The sample with every login from CUTOFF on and every page event from PAGE_CUTOFF
    on removed, and invented logins after CUTOFF added: the future is different, the past
    is not."""
    landing = tmp_path_factory.mktemp("future") / "landing"
    shutil.copytree(sample_dir, landing)
    logins = landing / "logins" / "logins.csv"
    rewrite_csv(
        logins,
        keep=lambda row: row[0][:10] < CUTOFF.isoformat(),
        extra_rows=[
            [f"2024-0{m}-1{d} 10:00:00", str(u), "1"]
            for m in (2, 3)
            for d in range(5)
            for u in range(1, 400)
        ],
    )
    rewrite_csv(
        landing / "page_events" / "page_events.csv",
        keep=lambda row: row[1][:10] < PAGE_CUTOFF.isoformat(),
    )
    for export in (landing / "share_view").glob("*.csv"):
        header = next(csv.reader(io.StringIO(export.read_bytes().decode("latin-1"))))
        at = [h.strip() for h in header].index("Last Activity Date")

        def before_share_cutoff(row, at=at):
            day = dt.datetime.strptime(row[at].strip(), "%d-%b-%Y").date()
            return row[0].strip() != "VIEW" or day < SHARE_CUTOFF

        rewrite_csv(export, keep=before_share_cutoff)
    db_path = tmp_path_factory.mktemp("future_db") / "sample.duckdb"
    result = run_dbt(
        [
            "build",
            "--select",
            "+int_adoption_features",
            "+int_return_features",
            "+int_share_view_features",
            "+int_view_time_features",
            "--exclude",
            "test_type:unit",
            "test_type:data",
        ],
        landing,
        db_path,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return db_path


def past_rows(frame: pd.DataFrame, time_column: str, before, columns, order) -> pd.DataFrame:
    """The rows of a feature table dated before a day, in a stable order."""
    past = frame[pd.to_datetime(frame[time_column]) < pd.Timestamp(before)]
    return past[columns].sort_values(order).reset_index(drop=True)


def test_adoption_features_and_scores_do_not_see_the_future(sample_db, future_changed_db):
    key = list(ml.ADOPTION.key)
    columns = key + [*ml.ADOPTION.features, "is_adopted_before_cutoff"]
    before, after = (
        past_rows(
            frame_of(db, "intermediate.int_adoption_features"), "cutoff_date", CUTOFF, columns, key
        )
        for db in (sample_db, future_changed_db)
    )
    assert len(before) > 1000
    pd.testing.assert_frame_equal(before, after)
    fitted = ml.load_artifacts(frame_of(sample_db, "ml.ml_adoption_fit"))
    for model in fitted:
        rows = before["cutoff_days"] == model.group_value
        if model.pipeline is None or not rows.any():
            continue
        scores = [
            model.pipeline.predict_proba(ml._prepare(f[rows], ml.ADOPTION))[:, 1]
            for f in (before, after)
        ]
        np.testing.assert_array_equal(*scores)
    # The change did reach the data: labels of the same rows moved.
    labels = [
        frame_of(db, "intermediate.int_adoption_features")["adopts_within_horizon"].sum()
        for db in (sample_db, future_changed_db)
    ]
    assert labels[0] != labels[1]


def test_return_features_do_not_see_the_future(sample_db, future_changed_db):
    frames = [
        frame_of(db, "intermediate.int_return_features") for db in (sample_db, future_changed_db)
    ]
    spec = ml.return_spec(list(frames[0].columns))
    before, after = (
        past_rows(f, "first_active_date", PAGE_CUTOFF, ["user_id", *spec.features], "user_id")
        for f in frames
    )
    assert len(before) > 100
    pd.testing.assert_frame_equal(before, after, check_dtype=False)
    # The change did reach the data: some labels moved.
    assert frames[0]["returns_within_horizon"].sum() != frames[1]["returns_within_horizon"].sum()


def test_share_view_features_do_not_see_the_future(sample_db, future_changed_db):
    # Removing records renumbers file lines (the ids), so rows are matched on content.
    spec = share_models.SHARE_VIEW
    columns = ["relationship_manager_id", "client_id", "shared_at", *spec.features]
    before, after = (
        past_rows(
            frame_of(db, "intermediate.int_share_view_features"),
            "shared_at",
            SHARE_CUTOFF,
            columns,
            columns,
        )
        for db in (sample_db, future_changed_db)
    )
    assert len(before) > 1000
    pd.testing.assert_frame_equal(before, after)
    columns = [
        "customer_code",
        "content_title",
        "viewed_at",
        "title_prior_views",
        "title_prior_mean_log_time_spent",
    ]
    before, after = (
        past_rows(
            frame_of(db, "intermediate.int_view_time_features"),
            "viewed_at",
            SHARE_CUTOFF,
            columns,
            columns,
        )
        for db in (sample_db, future_changed_db)
    )
    assert len(before) > 1000
    pd.testing.assert_frame_equal(before, after)


def test_knowing_the_content_adds_to_time_spent_r2_as_planted(sample_db):
    metrics = frame_of(sample_db, "marts.ml_view_time_metrics").set_index(
        ["feature_set", "model_name"]
    )
    for model in ("linear_regression", "random_forest"):
        context = metrics.loc[("context", model)]
        content = metrics.loc[("context_and_content", model)]
        # The generator makes the title drive time spent: a gain far beyond the folds' spread.
        assert content["r2_mean"] - context["r2_mean"] > 0.15
        assert content["r2_gain_over_context"] > 5 * max(content["r2_std"], context["r2_std"])


def test_share_view_classifier_transfer_and_open_shares(sample_db):
    metrics = frame_of(sample_db, "marts.ml_share_view_metrics")
    assert (metrics["roc_auc"] > 0.55).all()
    transfer = frame_of(sample_db, "marts.ml_share_view_transfer")
    customers = set(transfer["test_customer"])
    assert len(customers) == 6
    assert set(transfer.loc[transfer.is_pooled, "test_customer"]) == customers
    assert transfer["roc_auc"].between(0, 1).all()
    scores = frame_of(sample_db, "marts.ml_share_view_scores")
    open_shares = frame_of(sample_db, "intermediate.int_share_view_features").query("is_open")
    assert set(scores["share_id"]) == set(open_shares["share_id"])
