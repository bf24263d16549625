"""Models of the share/view data: time spent per view, will a share be viewed, and does
what is learnt from one customer (industry) serve another."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from uptake import frames, ml
from uptake.ml import evaluate
from uptake.ml.compute import BATCH_ROWS, in_workers
from uptake.ml.fit import pipelines
from uptake.ml.split import embargoed, sample_rows, time_split, training_shortfall

TIME_TARGET = "log_time_spent"
CONTEXT = {
    "categorical": [
        "customer_code",
        "industry",
        "device_type",
        "os_family",
        "browser_family",
        "share_channel",
    ],
    "numeric": ["view_hour", "view_weekday", "view_month_number"],
}
CONTENT = {
    "categorical": ["content_kind"],
    "numeric": ["title_prior_views", "title_prior_mean_log_time_spent"],
}
FEATURE_SETS = {
    "context": CONTEXT,
    "context_and_content": {
        "categorical": CONTEXT["categorical"] + CONTENT["categorical"],
        "numeric": CONTEXT["numeric"] + CONTENT["numeric"],
    },
}

SHARE_VIEW = ml.Spec(
    name="share_view",
    key=("share_id",),
    label="is_viewed_within_window",
    time_column="shared_at",
    categorical=("customer_code", "industry", "share_channel", "content_kind"),
    numeric=(
        "shared_hour",
        "shared_weekday",
        "rm_prior_shares",
        "rm_prior_view_through_rate",
        "client_prior_shares",
        "client_prior_views",
        "title_prior_views",
    ),
    baseline="rm_prior_view_through_rate",
    censored="is_open",
    decided="is_viewed_so_far",
    horizon_end="window_end_at",
    key_types={"share_id": "varchar"},
)

# ml_view_time_metrics, without fit_scope and fitted_data_end (see
# uptake.dbt_runtime.on_refit_cadence).
TIME_SPENT_COLUMNS = {
    "feature_set": "varchar",
    "model_name": "varchar",
    "status": "varchar",
    "target": "varchar",
    "r2_mean": "double",
    "r2_std": "double",
    "r2_min": "double",
    "r2_max": "double",
    "folds": "bigint",
    "rows": "bigint",
    "features": "varchar",
    "r2_gain_over_context": "double",
    "r2_gain_std": "double",
    "rows_available": "bigint",
    "rows_trained_on": "bigint",
    "max_train_rows": "bigint",
}
CROSS_VALIDATED = "cross-validated"
# The time-spent regressors, in the table's order.
REGRESSORS = ("linear_regression", "random_forest")
# Rows per fold that time-spent cross-validation needs.
MIN_ROWS_PER_FOLD = 10
# ml_share_view_transfer, without fit_scope and fitted_data_end.
TRANSFER_COLUMNS = {
    "train_customer": "varchar",
    "test_customer": "varchar",
    "train_industry": "varchar",
    "test_industry": "varchar",
    "is_pooled": "boolean",
    "is_same_customer": "boolean",
    "roc_auc": "double",
    "roc_auc_low": "double",
    "roc_auc_high": "double",
    "train_rows": "bigint",
    "test_rows": "bigint",
    "test_rows_available": "bigint",
    "test_base_rate": "double",
    "rows_available": "bigint",
    "rows_trained_on": "bigint",
    "max_train_rows": "bigint",
    "max_eval_rows": "bigint",
}


def _regressor(kind: str, columns: dict, seed: int) -> Pipeline:
    prepare = ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", min_frequency=10),
                columns["categorical"],
            ),
            (
                "numeric",
                SimpleImputer(strategy="median", add_indicator=True),
                columns["numeric"],
            ),
        ],
        sparse_threshold=0.0,
    )
    if kind == "linear_regression":
        model = LinearRegression()
    else:
        model = RandomForestRegressor(
            n_estimators=80, min_samples_leaf=5, max_features=0.5, random_state=seed, n_jobs=1
        )
    return Pipeline([("prepare", prepare), ("model", model)])


# Decimals kept of the floating-point inputs of the time-spent regressions. The engines'
# ln() and window averages differ in their last bits (Spark's Java maths against
# DuckDB's C library, and their orders of summation), and a random forest chooses among
# nearly equal splits on such bits: rounded, the same views give the same R² whichever
# engine built them (tests/python/test_spark_equality.py).
FLOAT_DECIMALS = 9


def rounded_floats(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame with those of ``columns`` that hold floating point rounded to
    FLOAT_DECIMALS decimals."""
    result = frame.copy()
    for column in columns:
        if column in result and pd.api.types.is_float_dtype(result[column]):
            result[column] = result[column].round(FLOAT_DECIMALS)
    return result


def time_spent_metrics(
    frame: pd.DataFrame, *, seed: int, folds: int, max_rows: int, jobs: int = 1
) -> pd.DataFrame:
    """Cross-validated R² of log time spent, per feature set and model: how much knowing
    the content (its kind and its title's earlier views) adds to the view's context.
    The folds follow time (expanding windows over the views in viewed_at order: each
    fold trains on earlier views and tests on the next block), as a forecast would.
    Beyond max_rows views, a seeded random sample of max_rows views is folded. With
    fewer than MIN_ROWS_PER_FOLD views per block of time (folds + 1 blocks), the R²
    columns are null and status says why. ``jobs``: worker processes for the (feature
    set, model) pairs (1: here, one after the other; 0: one per core); the R² are the
    same whatever it is."""
    data = frame.sort_values(["viewed_at", "view_id"]).reset_index(drop=True)
    data = rounded_floats(data, [TIME_TARGET, *CONTENT["numeric"], *CONTEXT["numeric"]])
    rows_available = len(data)
    data = sample_rows(data, max_rows, seed).reset_index(drop=True)
    result = _cross_validate(data, seed=seed, folds=folds, jobs=jobs)
    result["rows_available"] = rows_available
    result["rows_trained_on"] = len(data)
    result["max_train_rows"] = max_rows
    if (result["status"] != CROSS_VALIDATED).any():
        frames.warn(f"time spent per view: {result['status'].iloc[0]}")
    return frames.typed(result, TIME_SPENT_COLUMNS)


def _feature_frame(data: pd.DataFrame, columns: dict) -> pd.DataFrame:
    x = data[columns["categorical"] + columns["numeric"]].copy()
    for column in columns["categorical"]:
        x[column] = x[column].astype("object").where(x[column].notna(), "missing").astype(str)
    return x


def _r2_scores(kind: str, columns: dict, x: pd.DataFrame, y: np.ndarray, seed: int, folds: int):
    """R² of one model on one feature set in each time-ordered fold."""
    splitter = TimeSeriesSplit(folds)  # the rows are in time order
    return cross_val_score(_regressor(kind, columns, seed), x, y, cv=splitter, scoring="r2")


def _cross_validate(data: pd.DataFrame, *, seed: int, folds: int, jobs: int = 1) -> pd.DataFrame:
    rows, per_fold = [], {}
    y = data[TIME_TARGET].to_numpy()
    enough = len(data) >= MIN_ROWS_PER_FOLD * (folds + 1)
    status = (
        CROSS_VALIDATED
        if enough
        else (
            f"not cross-validated: {len(data)} views, fewer than "
            f"{MIN_ROWS_PER_FOLD * (folds + 1)} ({MIN_ROWS_PER_FOLD} per block of time)"
        )
    )
    pairs = [(feature_set, kind) for feature_set in FEATURE_SETS for kind in REGRESSORS]
    if enough:
        # The random forests first: they take most of the time.
        order = sorted(pairs, key=lambda pair: pair[1] != "random_forest")
        calls = (
            (kind, FEATURE_SETS[name], _feature_frame(data, FEATURE_SETS[name]), y, seed, folds)
            for name, kind in order
        )
        per_fold = dict(
            zip(order, in_workers(_r2_scores, calls, tasks=len(order), jobs=jobs), strict=True)
        )
    else:
        per_fold = {pair: np.full(folds, np.nan) for pair in pairs}  # too few views to fold
    for feature_set, kind in pairs:
        columns = FEATURE_SETS[feature_set]
        scores = per_fold[feature_set, kind]
        rows.append(
            {
                "feature_set": feature_set,
                "model_name": kind,
                "status": status,
                "target": "log(1 + time spent in seconds)",
                "r2_mean": float(scores.mean()),
                "r2_std": float(scores.std()),
                "r2_min": float(scores.min()),
                "r2_max": float(scores.max()),
                "folds": folds,
                "rows": len(data),
                "features": ", ".join(columns["categorical"] + columns["numeric"]),
            }
        )
    result = pd.DataFrame(rows)
    context = result[result.feature_set == "context"].set_index("model_name")["r2_mean"]
    result["r2_gain_over_context"] = result["r2_mean"] - result["model_name"].map(context)
    # The gain's spread over folds, fold by fold (both feature sets see the same folds).
    result["r2_gain_std"] = [
        float(
            np.std(per_fold[row.feature_set, row.model_name] - per_fold["context", row.model_name])
        )
        for row in result.itertuples()
    ]
    return result


def transfer_matrix(frame: pd.DataFrame, settings: ml.Settings) -> pd.DataFrame:
    """Train the share-view classifier on one customer's earlier shares and test it on
    every customer's later shares (the same later shares for every model), next to a
    pooled model trained on all customers' earlier shares. One row per (train, test).
    Each model learns from at most settings.max_train_rows of its earlier shares, and is
    tested on at most settings.max_eval_rows later shares of each customer (seeded
    random samples, the same test rows for every model), scored in batches. A customer
    whose earlier shares are too few to fit (training_shortfall) trains no model;
    without any model or later share the table is empty, and the log says why."""
    spec = SHARE_VIEW
    labelled = frame[frame[spec.label].notna()].sort_values(list(spec.key))
    return _transfer_table(*_transfer_samples(labelled, settings), settings, len(frame))


def transfer_matrix_from_table(read: Callable, settings: ml.Settings) -> pd.DataFrame:
    """:func:`transfer_matrix` of the share feature table, reading from it only what the
    split needs and then the sampled rows, so that the work and the memory stay bounded
    by the samples (max_train_rows per model, max_eval_rows per test customer) however
    many shares there are. ``read(sql, positions=None)`` runs DuckDB ``sql`` over the
    feature table as ``features`` and returns a frame; ``positions``, a frame, is
    readable as ``transfer_positions``.

    The narrow read (customer, industry, times and each labelled share's position in key
    order) goes through the same split and samples as the frame's rows; the sampled
    positions then fetch the spec's columns of those shares only. The result is the same
    as :func:`transfer_matrix` of the whole table."""
    spec = SHARE_VIEW
    key = ", ".join(spec.key)
    labelled = (
        f"select *, row_number() over (order by {key}) - 1 as key_position "
        f"from features where {spec.label} is not null"
    )
    narrow = read(
        f"select key_position, customer_code, industry, {spec.time_column}, "
        f"{spec.horizon_end} from ({labelled}) as labelled order by key_position"
    )
    shares = int(read("select count(*) as shares from features")["shares"].iloc[0])
    trains, tests, industries = _transfer_samples(narrow, settings)
    chosen = pd.concat(
        [part["key_position"] for part, _ in [*trains.values(), *tests.values()]]
        + [pd.Series([], dtype="int64")]
    ).drop_duplicates()
    columns = ", ".join(["key_position", *spec.columns])
    rows = read(
        f"select {columns} from ({labelled}) as labelled "
        "semi join transfer_positions using (key_position) order by key_position",
        positions=pd.DataFrame({"key_position": chosen.to_numpy(dtype="int64")}),
    ).set_index("key_position")

    def fetched(parts: dict) -> dict:
        return {
            name: (rows.loc[part["key_position"].to_numpy()], available)
            for name, (part, available) in parts.items()
        }

    return _transfer_table(fetched(trains), fetched(tests), industries, settings, shares)


def _transfer_samples(labelled: pd.DataFrame, settings: ml.Settings):
    """The samples of the labelled shares (in key order) that the transfer matrix fits
    and tests on: per training part (ALL, then each customer) and per test customer, the
    sampled rows and the number of rows they were sampled from; and each customer's
    industry."""
    spec = SHARE_VIEW
    train, test = time_split(labelled, spec.time_column, settings.test_fraction)
    # The embargo of the scored models: training labels settle before the test period.
    train = train[embargoed(train, spec, pd.to_datetime(test[spec.time_column]).min())]
    industries = labelled.groupby("customer_code")["industry"].first().to_dict()
    trains = {
        customer: (sample_rows(part, settings.max_train_rows, settings.seed), len(part))
        for customer, part in [("ALL", train), *train.groupby("customer_code")]
    }
    tests = {
        test_customer: (sample_rows(part, settings.max_eval_rows, settings.seed), len(part))
        for test_customer, part in test.groupby("customer_code")
    }
    return trains, tests, industries


def _transfer_table(trains, tests, industries, settings: ml.Settings, shares: int):
    with ml.one_thread():
        result = _transfer_matrix(trains, tests, industries, settings)
    if not len(result):
        frames.warn(
            f"share/view transfer matrix: {shares} shares give no model to train (too "
            "few with a known outcome) or no later share to test; the table is empty"
        )
    return frames.typed(result, TRANSFER_COLUMNS)


def _transfer_matrix(trains: dict, tests: dict, industries: dict, settings: ml.Settings):
    spec = SHARE_VIEW
    models = {}
    for customer, (sample, rows_available) in trains.items():
        y = sample[spec.label].astype(int).to_numpy()
        if training_shortfall(y, settings.cv_folds):
            continue
        pipeline = pipelines(spec, settings)[ml.LOGISTIC]
        with ml.liblinear_turn():
            pipeline.fit(ml.prepare(sample, spec), y)
        models[customer] = (pipeline, rows_available, len(sample))
    rows = []
    for test_customer, (part, test_rows_available) in tests.items():
        y = part[spec.label].astype(int).to_numpy()
        # Prepared once for every model (batches of BATCH_ROWS, as predict_proba would).
        x = [
            ml.prepare(part.iloc[start : start + BATCH_ROWS], spec)
            for start in range(0, len(part), BATCH_ROWS)
        ]
        for customer, (pipeline, rows_available, train_rows) in models.items():
            probability = (
                np.concatenate([pipeline.predict_proba(batch)[:, 1] for batch in x])
                if x
                else np.empty(0)
            )
            draws = evaluate.paired_auc_bootstrap(
                y, [probability], settings.auc_bootstrap_samples, settings.seed
            )
            low, high = evaluate.percentile_interval(draws[:, 0])
            rows.append(
                {
                    "train_customer": customer,
                    "test_customer": test_customer,
                    "train_industry": industries.get(customer, "all"),
                    "test_industry": industries[test_customer],
                    "is_pooled": customer == "ALL",
                    "is_same_customer": customer == test_customer,
                    "roc_auc": evaluate.auc(y, probability),
                    "roc_auc_low": low,
                    "roc_auc_high": high,
                    "train_rows": train_rows,
                    "test_rows": len(part),
                    "test_rows_available": test_rows_available,
                    "test_base_rate": float(y.mean()),
                    "rows_available": rows_available,
                    "rows_trained_on": train_rows,
                    "max_train_rows": settings.max_train_rows,
                    "max_eval_rows": settings.max_eval_rows,
                }
            )
    # Rows by model, then test customer (the models' order: ALL, then by customer).
    order = {customer: position for position, customer in enumerate(models)}
    rows.sort(key=lambda row: order[row["train_customer"]])
    return pd.DataFrame(rows, columns=list(TRANSFER_COLUMNS))
