"""The functions behind the dbt Python models, on no rows and on too few to fit: they
return their full, typed column set (as DuckDB reads it) and say why, never crash."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import project_settings

from uptake import aha, frames, ml, recommend, share_models, stats
from uptake.ml import score, tables

FAST = project_settings(seed=3, bootstrap_samples=5, cv_folds=3)
SPEC = ml.Spec(
    name="synthetic",
    key=("entity_id", "cutoff_days"),
    label="label",
    time_column="day",
    categorical=("colour",),
    numeric=("x",),
    binary=("flag",),
    baseline="x",
    group="cutoff_days",
    key_types={"entity_id": "bigint", "cutoff_days": "integer"},
)


def duckdb_columns(frame: pd.DataFrame) -> dict[str, str]:
    """The columns and types of the table DuckDB would make of the frame."""
    described = duckdb.sql("describe select * from frame").fetchall()
    return {name: data_type.lower() for name, data_type, *_ in described}


def entities(n: int, positives: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = np.zeros(n, dtype=bool)
    label[rng.choice(n, positives, replace=False)] = True
    return pd.DataFrame(
        {
            "entity_id": np.arange(n),
            "cutoff_days": np.zeros(n, dtype=np.int32),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 20, "D"),
            "colour": rng.choice(["red", "blue"], n),
            "x": rng.normal(size=n),
            "flag": rng.random(n) < 0.5,
            "label": label,
        }
    )


def test_typed_frames_keep_their_sql_types_with_no_rows_and_with_nulls():
    columns = {
        "text": "varchar",
        "count": "bigint",
        "small": "integer",
        "share": "double",
        "flag": "boolean",
        "at": "timestamp",
        "on": "date",
        "blob": "blob",
    }
    assert duckdb_columns(frames.empty(columns)) == columns
    frame = pd.DataFrame(
        {"text": [None, "a"], "count": [1.0, np.nan], "on": [pd.NaT, "2024-01-02"]}
    )
    typed = frames.typed(frame, columns)
    assert duckdb_columns(typed) == columns
    assert typed["text"].isna().tolist() == [True, False]
    assert typed["count"].isna().tolist() == [False, True] and typed["blob"].isna().all()


@pytest.mark.parametrize(
    ("rows", "positives", "reason"),
    [
        (0, 0, "no rows to learn from"),
        (12, 1, "too few training rows"),  # one positive: a fold would train on one outcome
        (4, 2, "too few training rows"),  # fewer rows than folds
    ],
)
def test_a_fit_with_too_little_data_stores_its_models_not_fitted_and_says_why(
    rows, positives, reason
):
    fitted = ml.fit(entities(rows, positives), SPEC, FAST, groups=[0, 7])
    assert [(m.model_name, m.group_value) for m in fitted] == [
        (family, group) for group in (0, 7) for family in ml.FAMILIES
    ]
    assert all(m.pipeline is None for m in fitted)
    artifacts = ml.artifacts_frame(fitted)
    assert duckdb_columns(artifacts) == tables.artifact_columns(SPEC)

    unpacked = ml.load_artifacts(artifacts)
    metrics = ml.metrics_frame(unpacked)
    assert duckdb_columns(metrics) == tables.metrics_columns(SPEC)
    assert len(metrics) == 4 and metrics["status"].str.startswith("not fitted").all()
    assert reason in metrics["status"].iloc[0]
    with_counts = ml.metrics_frame(unpacked, entities(rows, positives).assign(label=None))
    assert duckdb_columns(with_counts) == tables.metrics_columns(SPEC)
    assert with_counts["scored_rows"].fillna(0).eq(0).all()
    calibration = ml.calibration_frame(unpacked)
    assert len(calibration) == 0
    assert duckdb_columns(calibration) == tables.calibration_columns(SPEC)
    explanations = ml.explanations_frame(unpacked)
    assert len(explanations) == 0
    assert duckdb_columns(explanations) == tables.explanation_columns(SPEC)
    scores = ml.score_latest(
        entities(rows, positives).assign(label=None),
        unpacked,
        scored_at=pd.Timestamp("2024-06-01"),
    )
    assert len(scores) == 0
    assert duckdb_columns(scores) == score.score_columns(SPEC)


def test_enough_rows_fit_and_say_so():
    fitted = ml.fit(entities(200, 80), SPEC, FAST)
    metrics = ml.metrics_frame(fitted, entities(200, 80).assign(label=None))
    assert metrics["status"].eq(ml.FITTED).all()
    assert duckdb_columns(metrics) == tables.metrics_columns(SPEC)
    calibration = ml.calibration_frame(fitted)
    assert len(calibration) == 2 * 10
    assert duckdb_columns(calibration) == tables.calibration_columns(SPEC)
    assert duckdb_columns(ml.explanations_frame(fitted)) == tables.explanation_columns(SPEC)


def test_page_recommendations_without_page_usage():
    usage = pd.DataFrame(
        {
            "user_id": pd.Series(dtype=object),
            "page": pd.Series(dtype=object),
            "first_used_at": pd.Series(dtype="datetime64[us]"),
        }
    )
    recommended = recommend.recommend(usage, top_n=3)
    assert len(recommended) == 0
    assert duckdb_columns(recommended) == recommend.RECOMMENDATION_COLUMNS
    evaluated = recommend.evaluate(usage, ks=[1, 2, 3], test_fraction=0.3)
    assert len(evaluated) == 9 and evaluated["hit_rate_at_k"].isna().all()  # 3 models x 3 k
    assert (evaluated["status"] == "not evaluated: no page usage").all()
    assert duckdb_columns(evaluated) == recommend.METRICS_COLUMNS


def test_aha_tables_without_contingency_rows():
    contingency = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ["cohort", *aha.MOMENT_COLUMNS]}
    ).drop(columns=["phi_low", "phi_high", "rank_in_user_type", "is_best_for_action"])
    moments = aha.aha_moments(contingency, samples=10, seed=1)
    assert len(moments) == 0 and duckdb_columns(moments) == aha.MOMENT_COLUMNS
    validation = aha.validate(contingency, top=10, samples=10, seed=1)
    assert len(validation) == 0 and duckdb_columns(validation) == aha.VALIDATION_COLUMNS


def test_behaviour_differences_without_views():
    views = pd.DataFrame({"customer_code": pd.Series(dtype=object), "hour": pd.Series(dtype=int)})
    result = stats.distribution_differences(views, "customer_code", ["hour"])
    assert len(result) == 0 and duckdb_columns(result) == stats.COLUMNS


def test_share_view_models_with_too_few_shares_and_views():
    spec = share_models.SHARE_VIEW
    rng = np.random.default_rng(2)
    n = 12
    shares = pd.DataFrame(
        {
            "share_id": [f"s{i}" for i in range(n)],
            "shared_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), "D"),
            "industry": "banking",
            **{c: "x" for c in spec.categorical if c != "industry"},
            **{c: rng.normal(size=n) for c in spec.numeric},
            # one viewed share: too few to cross-validate any model
            spec.label: [i == 0 for i in range(n)],
        }
    ).assign(
        customer_code=lambda f: np.where(f.index % 2, "A", "B"),
        window_end_at=lambda f: f["shared_at"] + pd.Timedelta(days=7),
    )
    for frame in (shares, shares.iloc[:0]):
        transfer = share_models.transfer_matrix(frame, FAST)
        assert len(transfer) == 0
        assert duckdb_columns(transfer) == share_models.TRANSFER_COLUMNS

    columns = share_models.FEATURE_SETS["context_and_content"]
    views = pd.DataFrame(
        {
            "view_id": range(n),
            "viewed_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), "h"),
            share_models.TIME_TARGET: rng.normal(size=n),
            **{c: "x" for c in columns["categorical"]},
            **{c: rng.normal(size=n) for c in columns["numeric"]},
        }
    )
    for frame in (views, views.iloc[:0]):
        metrics = share_models.time_spent_metrics(
            frame, seed=1, folds=5, max_rows=project_settings().max_train_rows
        )
        assert len(metrics) == 4 and metrics["r2_mean"].isna().all()
        assert metrics["status"].str.startswith("not cross-validated").all()
        assert duckdb_columns(metrics) == share_models.TIME_SPENT_COLUMNS
