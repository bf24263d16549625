"""Fit, compare, explain and score the classifiers behind the ml_* tables.

The dbt Python models stay thin: they read a feature table, call :func:`fit` (once per
build, in the ``*_fit`` model), and the metrics, explanation and score models unpack the
fitted artifacts with :func:`metrics_frame`, :func:`calibration_frame`,
:func:`explanations_frame` and :func:`score_latest`. Everything is deterministic for a seed.

Two model families are compared on every fit: L1-regularised logistic regression (it
scores) and gradient-boosted trees. The odds ratios of the explanation tables come from a
third model fitted only to be read (:mod:`uptake.explain`); permutation importances of
both families shuffle aliased features together.
The split is by time: the earliest ``1 - test_fraction`` of the labelled rows (by
``spec.time_column``) train, the latest ones test, and a training row keeps its label
only when its horizon (``spec.horizon_end``) ends before the test period starts (an
embargo). The test ROC AUC comes with paired bootstrap intervals, the baseline's and the
gain over it; calibration in the large, the calibration slope and a reliability table
back any calibration claim. Cross-validation on the training rows runs in expanding
windows in time order, with the same embargo. Scores go only to entities whose outcome
is still open (:func:`score_population`), with deciles and an on-the-fence band per model.

Work stays bounded as data grows: when more than ``max_train_rows`` rows could train, a
seeded random sample of that many fits and cross-validates (the metrics record
``rows_available`` and ``rows_trained_on``), and the explanation model fits on at most
that many labelled rows; permutation importances use a seeded sample of at most
``max_importance_rows`` test rows; every prediction over all rows runs in batches, and
every fit runs on one thread (see :func:`one_thread`).

Every table keeps its typed columns whatever the input holds (:mod:`uptake.frames`). A
model that cannot be fitted (no rows, no known outcomes, too few of an outcome to
cross-validate, a test split with one outcome) is still stored, without a pipeline, and
its metrics row says why in ``status``; its scores and explanations are then empty.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import uptake
from uptake import explain, frames

LOGISTIC = "l1_logistic_regression"
BOOSTED = "gradient_boosted_trees"
FAMILIES = (LOGISTIC, BOOSTED)
FITTED = "fitted"  # the status of a model that was fitted
SCORING_MODEL = LOGISTIC  # per-user factors are exact for a linear model

# At cut-off 0 no account has activity yet: its recency column is all missing, which the
# imputer drops, warning on every fit and transform. That is expected, not news.
warnings.filterwarnings("ignore", message="Skipping features without any observed values")


@dataclass(frozen=True)
class Spec:
    """What a model learns from: the feature table's columns and their roles."""

    name: str
    key: tuple[str, ...]
    label: str
    time_column: str
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    binary: tuple[str, ...] = ()
    baseline: str | None = None  # a column whose value alone is the baseline score
    # a column that breaks the baseline's ties (e.g. a signup attribute where activity is
    # still all 0): the baseline ranks by baseline first, then by this
    baseline_tiebreak: str | None = None
    group: str | None = None  # fit one model per value of this column (e.g. cut-off)
    known: str | None = None  # rows whose outcome is already known (not fitted, not scored)
    # rows whose outcome the data cannot observe yet (e.g. a window still open): with it,
    # the metrics split the unlabelled rows into open_rows and unknown_label_rows (closed,
    # yet the data cannot say the outcome; left out of training rather than guessed)
    censored: str | None = None
    # an unlabelled row whose outcome the data already shows (e.g. adopted after the
    # cut-off, before the end of the data): decided, so never scored
    decided: str | None = None
    # when a row's label is settled (its horizon ends): a row trains only when this is
    # before the test period starts (an embargo of one horizon), see :func:`_fit_group`
    horizon_end: str | None = None
    # SQL types of the key columns in the scored table (not part of the model version)
    key_types: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def features(self) -> list[str]:
        return [*self.categorical, *self.numeric, *self.binary]


# Default cap on the rows one fit learns from (dbt var ml_max_train_rows): keeps each fit,
# its cross-validation and its bootstrap within a few tens of seconds on two cores.
MAX_TRAIN_ROWS = 20_000
# Default cap on the test rows that permutation importances re-predict (features x
# repeats times each; dbt var ml_max_importance_rows), and on the rows each bootstrap
# resample refits on (dbt var ml_max_bootstrap_rows).
MAX_IMPORTANCE_ROWS = 10_000
# Rows an evaluation-only table (the transfer matrix) scores per test group (dbt var
# ml_max_eval_rows): a seeded sample; the ROC AUC's standard error at 100,000 rows is
# a few thousandths.
MAX_EVAL_ROWS = 100_000
MAX_BOOTSTRAP_ROWS = 10_000
# Paired bootstrap resamples of the test rows behind the AUC intervals (dbt var
# ml_auc_bootstrap_samples); each costs a pass over at most max_eval_rows rows.
AUC_BOOTSTRAP_SAMPLES = 200
# The on-the-fence band: these quantiles of each model's probabilities on its own test
# rows (dbt var on_the_fence_quantiles). Above the median, below the top decile: more
# likely than most to adopt, not yet near-certain.
FENCE_QUANTILES = (0.5, 0.9)
# Bins of the reliability table (equal numbers of test rows, by predicted probability).
CALIBRATION_BINS = 10
# Rows per batch when predicting over a whole table: memory stays flat as rows grow.
BATCH_ROWS = 100_000


def one_thread():
    """A context in which OpenMP and BLAS use one thread. dbt runs two models at once on
    a machine of a few cores: the gradient-boosted trees' OpenMP threads then wait on
    each other and a fit takes several times longer than on one thread."""
    return threadpool_limits(limits=1)


def sample_rows(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """The frame itself when it has at most max_rows rows, else a seeded random sample
    of max_rows rows, kept in the frame's order (positions, not index labels, so that
    the same rows in the same order give the same sample)."""
    if len(frame) <= max_rows:
        return frame
    positions = np.random.default_rng(seed).choice(len(frame), max_rows, replace=False)
    return frame.iloc[np.sort(positions)]


def predict_proba(
    pipeline: Pipeline, frame: pd.DataFrame, spec: Spec, batch_rows: int = BATCH_ROWS
):
    """Probability of the positive class for every row of a feature frame, prepared and
    predicted batch by batch."""
    parts = [
        pipeline.predict_proba(_prepare(frame.iloc[start : start + batch_rows], spec))[:, 1]
        for start in range(0, len(frame), batch_rows)
    ]
    return np.concatenate(parts) if parts else np.empty(0)


@dataclass(frozen=True)
class Settings:
    seed: int = 42
    test_fraction: float = 0.3
    bootstrap_samples: int = 100
    max_train_rows: int = MAX_TRAIN_ROWS
    cv_folds: int = 5
    max_importance_rows: int = MAX_IMPORTANCE_ROWS
    max_bootstrap_rows: int = MAX_BOOTSTRAP_ROWS
    max_eval_rows: int = MAX_EVAL_ROWS
    auc_bootstrap_samples: int = AUC_BOOTSTRAP_SAMPLES
    fence_quantiles: tuple[float, float] = FENCE_QUANTILES


@dataclass
class FittedModel:
    model_name: str
    model_version: str
    group_value: object
    pipeline: Pipeline | None
    metrics: dict
    explanations: list[dict] = field(default_factory=list)
    # the reliability table: one dict per bin of test rows (see calibration_frame)
    calibration: list[dict] = field(default_factory=list)


def model_version(spec: Spec, settings: Settings) -> str:
    """Changes when the package, the features or the settings change."""
    described = {k: v for k, v in asdict(spec).items() if k != "key_types"}
    payload = json.dumps([uptake.__version__, described, asdict(settings)], sort_keys=True)
    return f"{uptake.__version__}+{hashlib.sha1(payload.encode()).hexdigest()[:8]}"


def _prepare(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    x = frame[spec.features].copy()
    for column in spec.categorical:
        x[column] = x[column].astype("object").where(x[column].notna(), "missing").astype(str)
    for column in spec.numeric:
        x[column] = pd.to_numeric(x[column], errors="coerce").astype(float)
    for column in spec.binary:
        x[column] = x[column].fillna(False).astype(float)
    return x


def _preprocessor(spec: Spec) -> ColumnTransformer:
    return ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                list(spec.categorical),
            ),
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                list(spec.numeric),
            ),
            ("binary", "passthrough", list(spec.binary)),
        ],
        verbose_feature_names_out=False,
        sparse_threshold=0.0,
    )


def _pipelines(spec: Spec, settings: Settings) -> dict[str, Pipeline]:
    folds = StratifiedKFold(settings.cv_folds, shuffle=True, random_state=settings.seed)
    return {
        LOGISTIC: Pipeline(
            [
                ("prepare", _preprocessor(spec)),
                (
                    "model",
                    LogisticRegressionCV(
                        Cs=[0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                        penalty="l1",
                        solver="liblinear",
                        scoring="roc_auc",
                        cv=folds,
                        random_state=settings.seed,
                        max_iter=500,
                    ),
                ),
            ]
        ),
        BOOSTED: Pipeline(
            [
                ("prepare", _preprocessor(spec)),
                (
                    "model",
                    HistGradientBoostingClassifier(
                        max_iter=150,
                        learning_rate=0.06,
                        max_leaf_nodes=15,
                        l2_regularization=1.0,
                        early_stopping=False,
                        random_state=settings.seed,
                    ),
                ),
            ]
        ),
    }


def time_split(frame: pd.DataFrame, time_column: str, test_fraction: float):
    """Earlier rows train, later rows test; rows of one time value stay together."""
    times = pd.to_datetime(frame[time_column])
    boundary = times.quantile(1 - test_fraction) if len(times) else pd.NaT
    train = frame[times < boundary]
    test = frame[times >= boundary]
    return train, test


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, score))


def training_shortfall(y_train: np.ndarray, folds: int) -> str | None:
    """Why these training labels cannot be fitted with cross-validation in ``folds``
    stratified folds, or None: every fold's training part needs both outcomes (at least
    2 rows of each), and the splitter needs ``folds`` rows of one outcome."""
    with_outcome = int(np.sum(y_train == 1))
    without = len(y_train) - with_outcome
    if min(with_outcome, without) < 2 or max(with_outcome, without) < folds:
        return (
            f"too few training rows ({with_outcome} with the outcome, {without} without; "
            f"{folds}-fold cross-validation needs 2 of each and {folds} of one)"
        )
    return None


def unfit_reason(y_train: np.ndarray, y_test: np.ndarray, folds: int) -> str | None:
    """Why a classifier cannot be fitted and tested on these labels, or None when it can:
    see :func:`training_shortfall`; the test rows need both outcomes for a ROC AUC."""
    if len(y_train) + len(y_test) == 0:
        return "not fitted: no rows with a known outcome"
    shortfall = training_shortfall(y_train, folds)
    if shortfall:
        return f"not fitted: {shortfall}"
    if len(np.unique(y_test)) < 2:
        return f"not fitted: the {len(y_test)} test rows hold one outcome only"
    return None


def embargoed(train: pd.DataFrame, spec: Spec, boundary) -> pd.Series:
    """Which training rows keep their label: those whose horizon ends before the test
    period starts (``boundary``), so that no training label is observed in the test
    period. All of them when the spec has no horizon_end."""
    if not spec.horizon_end or not len(train):
        return pd.Series(True, index=train.index)
    return pd.to_datetime(train[spec.horizon_end]) < boundary


def time_folds(frame: pd.DataFrame, spec: Spec, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds over the rows in time order: the time range is cut at
    quantiles into folds + 1 blocks (rows of one time value stay together); fold k tests
    block k + 1 and trains on the earlier rows whose horizon ended before that block
    starts (the same embargo as the test split). Positions into ``frame``; a fold whose
    training or test rows lack an outcome is left out."""
    if not len(frame):
        return []
    times = pd.to_datetime(frame[spec.time_column]).reset_index(drop=True)
    y = frame[spec.label].astype(int).to_numpy()
    edges = [times.quantile(q) for q in np.linspace(0, 1, folds + 2)[1:-1]]
    result = []
    for k, start in enumerate(edges):
        end = edges[k + 1] if k + 1 < len(edges) else None
        test = (times >= start) & (times < end if end is not None else True)
        train = (times < start) & embargoed(frame, spec, start).to_numpy()
        train_rows, test_rows = np.flatnonzero(train), np.flatnonzero(test)
        if len(np.unique(y[train_rows])) == 2 and len(np.unique(y[test_rows])) == 2:
            result.append((train_rows, test_rows))
    return result


def _weighted_auc(y: np.ndarray, order: np.ndarray, ties: np.ndarray, weights: np.ndarray):
    """ROC AUC with row weights (bootstrap counts), given the rows sorted by score
    (``order``) and each sorted row's tie group (``ties``): positives' weight times the
    negatives' weight ranked below them (half at equal scores), over both totals."""
    w = weights[order]
    positive = np.bincount(ties, w * y[order])
    negative = np.bincount(ties, w * (1 - y[order]))
    total = positive.sum() * negative.sum()
    if total == 0:
        return np.nan
    below = np.cumsum(negative) - negative
    return float(np.sum(positive * (below + 0.5 * negative)) / total)


def paired_auc_bootstrap(
    y: np.ndarray, scores: list[np.ndarray], samples: int, seed: int
) -> np.ndarray:
    """The ROC AUC of each score on ``samples`` bootstrap resamples of the rows, the same
    resamples for every score (paired: differences keep their correlation). One row per
    resample in which both outcomes occur, one column per score; each resample is one
    weighted pass over the rows (sorted once)."""
    y = np.asarray(y, dtype=float)
    sorted_scores = []
    for score in scores:
        order = np.argsort(score, kind="stable")
        ordered = np.asarray(score, dtype=float)[order]
        ties = np.concatenate([[0], np.cumsum(ordered[1:] != ordered[:-1])]).astype(int)
        sorted_scores.append((order, ties))
    rng = np.random.default_rng(seed)
    n = len(y)
    draws = []
    for _ in range(samples if n else 0):
        weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        positives = float(np.sum(weights * y))
        if positives == 0 or positives == weights.sum():
            continue
        draws.append([_weighted_auc(y, o, t, weights) for o, t in sorted_scores])
    return np.array(draws).reshape(-1, len(scores))


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    if not len(values):
        return float("nan"), float("nan")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def auc_intervals(
    y: np.ndarray, probability: np.ndarray, baseline: np.ndarray, settings: Settings
) -> dict:
    """95% paired-bootstrap percentile intervals of the model's ROC AUC, the baseline's,
    and the gain (model - baseline), over the test rows (a seeded sample of at most
    max_eval_rows of them)."""
    rows = np.arange(len(y))
    if len(rows) > settings.max_eval_rows:
        rng = np.random.default_rng(settings.seed)
        rows = np.sort(rng.choice(len(y), settings.max_eval_rows, replace=False))
    draws = paired_auc_bootstrap(
        y[rows], [probability[rows], baseline[rows]], settings.auc_bootstrap_samples, settings.seed
    )
    model_low, model_high = _percentiles(draws[:, 0])
    base_low, base_high = _percentiles(draws[:, 1])
    gain_low, gain_high = _percentiles(draws[:, 0] - draws[:, 1])
    return {
        "roc_auc_low": model_low,
        "roc_auc_high": model_high,
        "baseline_roc_auc_low": base_low,
        "baseline_roc_auc_high": base_high,
        "roc_auc_gain_low": gain_low,
        "roc_auc_gain_high": gain_high,
        "auc_bootstrap_samples": len(draws),
        "auc_bootstrap_rows": len(rows),
    }


def _logit(probability: np.ndarray) -> np.ndarray:
    p = np.clip(probability, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def calibration(y: np.ndarray, probability: np.ndarray) -> dict:
    """Calibration of probabilities on labelled rows. In the large: the intercept a of
    logit P(y) = a + logit(p) (0 when the mean probability matches the outcome rate;
    above 0 when the model predicts too low). Slope: b of logit P(y) = c + b logit(p)
    (1 when the spread is right; below 1 when probabilities are too extreme)."""
    if len(np.unique(y)) < 2:
        return {"mean_probability": float(np.mean(probability)) if len(y) else np.nan}
    z = _logit(probability)
    intercept = 0.0
    for _ in range(50):  # Newton steps for the intercept with logit(p) as offset
        fitted = 1 / (1 + np.exp(-(intercept + z)))
        step = np.sum(y - fitted) / max(np.sum(fitted * (1 - fitted)), 1e-12)
        intercept += step
        if abs(step) < 1e-10:
            break
    slope = LogisticRegression(penalty=None, max_iter=1000).fit(z.reshape(-1, 1), y)
    return {
        "mean_probability": float(np.mean(probability)),
        "calibration_in_the_large": float(intercept),
        "calibration_slope": float(slope.coef_[0][0]),
    }


def reliability_bins(y: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS):
    """The reliability table: test rows in ``bins`` bins of (nearly) equal size by
    predicted probability; per bin its probability range, mean probability, observed
    rate and that rate's 95% Wilson interval."""
    n = len(y)
    if not n:
        return []
    ranks = pd.Series(probability).rank(method="first").to_numpy()
    which = np.ceil(ranks / n * bins).astype(int).clip(1, bins)
    rows = []
    for b in range(1, bins + 1):
        inside = which == b
        m = int(inside.sum())
        if not m:
            continue
        k = int(y[inside].sum())
        rate, z = k / m, 1.959964
        centre = (rate + z * z / (2 * m)) / (1 + z * z / m)
        half = z * np.sqrt(rate * (1 - rate) / m + z * z / (4 * m * m)) / (1 + z * z / m)
        rows.append(
            {
                "bin": b,
                "rows": m,
                "positives": k,
                "probability_min": float(probability[inside].min()),
                "probability_max": float(probability[inside].max()),
                "mean_probability": float(probability[inside].mean()),
                "observed_rate": rate,
                "observed_rate_low": float(max(0.0, centre - half)),
                "observed_rate_high": float(min(1.0, centre + half)),
            }
        )
    return rows


def _baseline_score(train: pd.DataFrame, test: pd.DataFrame, spec: Spec) -> np.ndarray:
    """The baseline's score on the test rows: the baseline column (its ties broken by
    baseline_tiebreak, where the spec has one), a missing value read as the training
    rows' mean (0 without a baseline: every row tied)."""
    if not spec.baseline:
        return np.zeros(len(test))

    def column(name: str) -> pd.Series:
        fill = pd.to_numeric(train[name]).astype(float).mean()
        values = pd.to_numeric(test[name]).astype(float)
        return values.fillna(0.0 if pd.isna(fill) else fill)

    score = column(spec.baseline)
    if spec.baseline_tiebreak and len(test):
        first = score.rank(method="dense")
        then = column(spec.baseline_tiebreak).rank(method="dense")
        score = first * (then.max() + 1) + then
    return score.to_numpy()


def _unlabelled_split(frame: pd.DataFrame, spec: Spec) -> dict:
    """Unlabelled rows as open (censored) and unknown (observable, outcome not in the data)."""
    if not spec.censored:
        return {}
    unlabelled = frame[spec.label].isna()
    censored = frame[spec.censored].fillna(False).astype(bool)
    return {
        "open_rows": int((unlabelled & censored).sum()),
        "unknown_label_rows": int((unlabelled & ~censored).sum()),
    }


def _fit_group(frame: pd.DataFrame, spec: Spec, settings: Settings, group_value, version: str):
    known = frame[spec.known].astype(bool) if spec.known else pd.Series(False, frame.index)
    frame = frame[~known]
    labelled = frame[frame[spec.label].notna()]
    train, test = time_split(labelled, spec.time_column, settings.test_fraction)
    boundary = pd.to_datetime(test[spec.time_column]).min()
    # Embargo: a training row's label must be settled before the test period starts.
    settled = embargoed(train, spec, boundary)
    embargo_rows = int((~settled).sum())
    train = train[settled]
    rows_available = len(train)
    train = sample_rows(train, settings.max_train_rows, settings.seed)
    # Permutation importances re-predict the test rows features x repeats times.
    explained = sample_rows(test, settings.max_importance_rows, settings.seed)
    y_train = train[spec.label].astype(int).to_numpy()
    y_test = test[spec.label].astype(int).to_numpy()
    base = {
        "rows_available": rows_available,
        "rows_trained_on": len(train),
        "embargo_rows": embargo_rows,
        "train_rows": len(train),
        "test_rows": len(test),
        "scorable_rows": len(frame),
        "unlabelled_rows": len(frame) - len(labelled),
        **_unlabelled_split(frame, spec),
        "train_start": pd.to_datetime(train[spec.time_column]).min(),
        "train_end": pd.to_datetime(train[spec.time_column]).max(),
        "test_start": pd.to_datetime(test[spec.time_column]).min(),
        "test_end": pd.to_datetime(test[spec.time_column]).max(),
        "base_rate": float(y_test.mean()) if len(y_test) else float("nan"),
        "train_base_rate": float(y_train.mean()) if len(y_train) else float("nan"),
        "max_train_rows": settings.max_train_rows,
        "importance_rows": len(explained),
    }
    baseline_score = _baseline_score(train, test, spec)
    baseline = _auc(y_test, baseline_score) if spec.baseline else 0.5
    if len(frame) == 0:
        reason = "not fitted: no rows to learn from (the feature table is empty)"
    else:
        reason = unfit_reason(y_train, y_test, settings.cv_folds)
    fitted = []
    aliases = explain.aliased_groups(_prepare(train, spec), spec) if not reason else []
    for name, pipeline in _pipelines(spec, settings).items():
        metrics = {**base, "baseline_roc_auc": baseline, "status": reason or FITTED}
        if reason:
            fitted.append(FittedModel(name, version, group_value, None, metrics))
            continue
        x_train = _prepare(train, spec)
        pipeline.fit(x_train, y_train)
        # The spread of the AUC across folds of the training rows; the logistic model is
        # cross-validated at the C its own CV chose (not a nested search).
        checked = clone(pipeline)
        if name == LOGISTIC:
            chosen = float(pipeline.named_steps["model"].C_[0])
            checked.set_params(
                model=LogisticRegression(penalty="l1", solver="liblinear", C=chosen, max_iter=500)
            )
        # Forecasting, as the test split does: expanding windows in time order.
        folds = time_folds(train, spec, settings.cv_folds)
        cv = (
            cross_val_score(checked, x_train, y_train, cv=folds, scoring="roc_auc")
            if folds
            else np.array([np.nan])
        )
        probability = predict_proba(pipeline, test, spec)
        roc_auc = _auc(y_test, probability)
        low, high = settings.fence_quantiles
        metrics.update(
            roc_auc=roc_auc,
            roc_auc_gain=roc_auc - baseline,
            **auc_intervals(y_test, probability, baseline_score, settings),
            pr_auc=float(average_precision_score(y_test, probability)),
            log_loss=float(log_loss(y_test, probability, labels=[0, 1])),
            brier_score=float(brier_score_loss(y_test, probability)),
            **calibration(y_test, probability),
            cv_folds=len(folds),
            cv_roc_auc_mean=float(cv.mean()),
            cv_roc_auc_std=float(cv.std()),
            on_the_fence_low=float(np.quantile(probability, low)),
            on_the_fence_high=float(np.quantile(probability, high)),
        )
        model = FittedModel(name, version, group_value, pipeline, metrics)
        model.calibration = reliability_bins(y_test, probability)
        # Aliased features (one to one, or equal) are shuffled together; see uptake.explain.
        model.explanations += explain.permutation_importances(
            pipeline,
            _prepare(explained, spec),
            explained[spec.label].astype(int).to_numpy(),
            aliases,
            repeats=5,
            seed=settings.seed,
        )
        if name == LOGISTIC:
            # Per-row factors count a category from its reference level (_top_factors).
            pipeline.uptake_reference_levels = explain.reference_levels(x_train, spec)
            # The odds ratios come from a model fitted to be read, on every labelled row
            # of this group (at most max_train_rows), not from the L1 fit.
            read = sample_rows(labelled, settings.max_train_rows, settings.seed)
            model.explanations += explain.explained_fit(
                _prepare(read, spec), read[spec.label].astype(int).to_numpy(), spec
            )
        fitted.append(model)
    return fitted


def fit(
    frame: pd.DataFrame, spec: Spec, settings: Settings, groups: Iterable = ()
) -> list[FittedModel]:
    """Fit both families for every group (or once): the artifacts of one build. A group
    value in ``groups`` that the frame lacks (every one, when the frame is empty) still
    gets its models, not fitted, saying why."""
    version = model_version(spec, settings)
    frame = frame.sort_values(list(spec.key)).reset_index(drop=True)
    with one_thread():
        if spec.group is None:
            fitted = _fit_group(frame, spec, settings, None, version)
        else:
            fitted = []
            values = set(frame[spec.group].dropna().unique()) | set(groups)
            for value in sorted(values):
                part = frame[frame[spec.group] == value]
                fitted += _fit_group(part, spec, settings, value, version)
    # Both families of a group share the reason they were not fitted: warn once per reason.
    not_fitted: dict[str, list] = {}
    for model in fitted:
        if model.pipeline is None and model.model_name == LOGISTIC:
            not_fitted.setdefault(model.metrics["status"], []).append(model.group_value)
    for reason, values in not_fitted.items():
        where = f" ({spec.group} {', '.join(map(str, values))})" if spec.group else ""
        frames.warn(f"{spec.name} models{where}: {reason}")
    return fitted


def _group_columns(spec: Spec) -> dict[str, str]:
    return {spec.group: "bigint"} if spec.group else {}


def artifact_columns(spec: Spec) -> dict[str, str]:
    """The *_fit table's columns, without fit_scope and fitted_data_end (added by
    :func:`on_refit_cadence`). An ungrouped model's group_value is always null."""
    return {
        "model_name": "varchar",
        "model_version": "varchar",
        **(_group_columns(spec) or {"group_value": "integer"}),
        "artifact": "blob",
    }


def artifacts_frame(fitted: list[FittedModel], spec: Spec) -> pd.DataFrame:
    """One row per model (and group), fitted or not, pickled: the *_fit table."""
    frame = pd.DataFrame(
        {
            "model_name": [m.model_name for m in fitted],
            "model_version": [m.model_version for m in fitted],
            spec.group or "group_value": [m.group_value for m in fitted],
            "artifact": [pickle.dumps(m, protocol=5) for m in fitted],
        }
    )
    return frames.typed(frame, artifact_columns(spec))


def load_artifacts(frame: pd.DataFrame) -> list[FittedModel]:
    return [pickle.loads(bytes(blob)) for blob in frame["artifact"]]


def metrics_columns(spec: Spec) -> dict[str, str]:
    """The metrics table's columns: one row per model (and group)."""
    columns = {
        "model_name": "varchar",
        "model_version": "varchar",
        **_group_columns(spec),
        "status": "varchar",
        "rows_available": "bigint",
        "rows_trained_on": "bigint",
        "embargo_rows": "bigint",
        "train_rows": "bigint",
        "test_rows": "bigint",
        "scorable_rows": "bigint",
        "unlabelled_rows": "bigint",
        **({"open_rows": "bigint", "unknown_label_rows": "bigint"} if spec.censored else {}),
        "scored_rows": "bigint",
        "decided_rows_left_out": "bigint",
        "train_start": "timestamp",
        "train_end": "timestamp",
        "test_start": "timestamp",
        "test_end": "timestamp",
        "base_rate": "double",
        "train_base_rate": "double",
        "max_train_rows": "bigint",
        "importance_rows": "bigint",
        "baseline_roc_auc": "double",
        "baseline_roc_auc_low": "double",
        "baseline_roc_auc_high": "double",
        "roc_auc": "double",
        "roc_auc_low": "double",
        "roc_auc_high": "double",
        "roc_auc_gain": "double",
        "roc_auc_gain_low": "double",
        "roc_auc_gain_high": "double",
        "auc_bootstrap_samples": "bigint",
        "auc_bootstrap_rows": "bigint",
        "pr_auc": "double",
        "log_loss": "double",
        "brier_score": "double",
        "mean_probability": "double",
        "calibration_in_the_large": "double",
        "calibration_slope": "double",
        "cv_folds": "bigint",
        "cv_roc_auc_mean": "double",
        "cv_roc_auc_std": "double",
        "on_the_fence_low": "double",
        "on_the_fence_high": "double",
    }
    return columns


def metrics_frame(
    fitted: list[FittedModel], spec: Spec, features: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per model (and group), fitted or not: held-out quality, or in status why
    the model was not fitted. (A fit stored before status existed reads as fitted when it
    has a pipeline.) With the feature table, the scoring model's rows also say how many
    entities the scored table holds from it (scored_rows) and how many whose latest row
    falls to it were left out as already decided (decided_rows_left_out); see
    :func:`score_population`."""
    counts: dict = {}
    if features is not None:
        undecided, decided = score_population(features, spec)
        for name, rows in (("scored_rows", undecided), ("decided_rows_left_out", decided)):
            by_group = rows.groupby(spec.group).size() if spec.group else {None: len(rows)}
            for value, count in dict(by_group).items():
                counts.setdefault(value, {})[name] = int(count)
    rows = []
    for model in fitted:
        row = {"model_name": model.model_name, "model_version": model.model_version}
        if spec.group:
            row[spec.group] = model.group_value
        status = FITTED if model.pipeline is not None else "not fitted"
        row = {**row, "status": status, **model.metrics}
        if features is not None and model.model_name == SCORING_MODEL:
            found = counts.get(model.group_value, {})
            scored = found.get("scored_rows", 0) if model.pipeline is not None else 0
            row |= {
                "scored_rows": scored,
                "decided_rows_left_out": found.get("decided_rows_left_out", 0),
            }
        rows.append(row)
    return frames.typed(pd.DataFrame(rows), metrics_columns(spec))


def calibration_columns(spec: Spec) -> dict[str, str]:
    """The calibration table's columns: one row per model (and group) and bin."""
    return {
        "model_name": "varchar",
        "model_version": "varchar",
        **_group_columns(spec),
        "bin": "bigint",
        "rows": "bigint",
        "positives": "bigint",
        "probability_min": "double",
        "probability_max": "double",
        "mean_probability": "double",
        "observed_rate": "double",
        "observed_rate_low": "double",
        "observed_rate_high": "double",
    }


def calibration_frame(fitted: list[FittedModel], spec: Spec) -> pd.DataFrame:
    """The reliability table of every fitted model: its test rows in bins by predicted
    probability (see :func:`reliability_bins`); none for a model not fitted."""
    rows = []
    for model in fitted:
        for item in getattr(model, "calibration", None) or []:
            row = {"model_name": model.model_name, "model_version": model.model_version}
            if spec.group:
                row[spec.group] = model.group_value
            rows.append({**row, **item})
    return frames.typed(pd.DataFrame(rows), calibration_columns(spec))


def explanation_columns(spec: Spec) -> dict[str, str]:
    """The explanations table's columns: one row per model (and group), feature and
    measure."""
    return {
        "model_name": "varchar",
        "model_version": "varchar",
        **_group_columns(spec),
        "feature": "varchar",
        "measure": "varchar",
        "value": "double",
        "std": "double",
        "odds_ratio": "double",
        "odds_ratio_low": "double",
        "odds_ratio_high": "double",
        "reference": "varchar",
        "unit": "varchar",
        "note": "varchar",
        "fitted_rows": "bigint",
    }


def explanations_frame(fitted: list[FittedModel], spec: Spec) -> pd.DataFrame:
    """Permutation importances of the fitted models, and the odds ratios (and dropped
    columns) of the explanation model (model_name explain.EXPLAINED, stored with the
    logistic model); none for a model that was not fitted."""
    rows = []
    for model in fitted:
        for item in model.explanations:
            row = {"model_name": model.model_name, "model_version": model.model_version}
            if spec.group:
                row[spec.group] = model.group_value
            rows.append({**row, **item})
    return frames.typed(pd.DataFrame(rows), explanation_columns(spec))


def _top_factors(pipeline: Pipeline, x: pd.DataFrame, top: int) -> list[str]:
    """The features that push each row's log-odds up the most, each measured from a
    stated reference (the mean, false, or the category's reference level): see
    :func:`uptake.explain.top_factors`."""
    references = getattr(pipeline, "uptake_reference_levels", None)
    return explain.top_factors(pipeline, x, top, references)


def score_columns(spec: Spec) -> dict[str, str]:
    """The scored table's columns: the entity key (and group), then the score."""
    key = [k for k in spec.key if k != spec.group] + ([spec.group] if spec.group else [])
    return {
        **{k: spec.key_types.get(k, "varchar") for k in key},
        "probability": "double",
        "top_factors": "varchar",
        "model_name": "varchar",
        "model_version": "varchar",
        "decile": "bigint",
        "is_on_the_fence": "boolean",
        "scored_at": "timestamp",
    }


def _flag(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if not column:
        return pd.Series(False, index=frame.index)
    return frame[column].astype("boolean").fillna(False).astype(bool)


def population_columns(spec: Spec) -> list[str]:
    """The feature-table columns that :func:`score_population` reads."""
    flags = [spec.label, spec.censored, spec.known, spec.decided]
    return [*spec.key, *[c for c in flags if c]]


def score_population(frame: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows to score and the rows left out as decided. Each entity's latest row
    first (its latest group value, e.g. the latest cut-off it has reached; never an
    earlier one); that row is open when its label is still unknown because the horizon
    is running (label null, and the censored column true where the spec has one) and
    the data does not already show the outcome (known or decided). Open rows are scored;
    every other latest row is decided and left out."""
    if spec.group:
        entity = [k for k in spec.key if k != spec.group]
        frame = frame.sort_values([*entity, spec.group]).drop_duplicates(entity, keep="last")
    undecided = frame[spec.label].isna()
    if spec.censored:
        undecided &= _flag(frame, spec.censored)
    undecided &= ~_flag(frame, spec.known) & ~_flag(frame, spec.decided)
    return frame[undecided], frame[~undecided]


def score_latest(
    frame: pd.DataFrame,
    fitted: list[FittedModel],
    spec: Spec,
    *,
    scored_at: pd.Timestamp,
    batch_rows: int = BATCH_ROWS,
    top_factors: int = 3,
) -> pd.DataFrame:
    """One row per entity whose outcome is still open (see :func:`score_population`):
    its probability from the scoring model at its latest group value, its decile among
    the rows that model scores, the on-the-fence flag (probability within the model's
    own band: on_the_fence_low/high in its metrics, quantiles of its test-row
    probabilities) and top factors. Scores in batches so that memory stays flat as rows
    grow."""
    entity = [k for k in spec.key if k != spec.group]
    frame, _ = score_population(frame, spec)
    models = {m.group_value: m for m in fitted if m.model_name == SCORING_MODEL and m.pipeline}
    parts = []
    for value, part in frame.groupby(spec.group, sort=True) if spec.group else [(None, frame)]:
        model = models.get(value)
        if model is None:
            continue
        for start in range(0, len(part), batch_rows):
            batch = part.iloc[start : start + batch_rows]
            x = _prepare(batch, spec)
            scored = batch[entity + ([spec.group] if spec.group else [])].copy()
            scored["probability"] = model.pipeline.predict_proba(x)[:, 1]
            scored["top_factors"] = _top_factors(model.pipeline, x, top_factors)
            scored["model_name"] = model.model_name
            scored["model_version"] = model.model_version
            parts.append(scored)
    if not parts:
        if not len(frame):
            frames.warn(f"{spec.name} scores: no rows to score; the scored table is empty")
        else:
            frames.warn(
                f"{spec.name} scores: no fitted {SCORING_MODEL} for the {len(frame)} rows to "
                "score (see status in the metrics table); the scored table is empty"
            )
        return frames.empty(score_columns(spec))
    result = pd.concat(parts, ignore_index=True)
    # Deciles and the band within each model: the cut-off models differ in base rate.
    group = result[spec.group] if spec.group else pd.Series(0, index=result.index)
    by_model = result["probability"].groupby(group)
    ranks, sizes = by_model.rank(method="first"), by_model.transform("size")
    result["decile"] = np.ceil(ranks / sizes * 10).astype(int).clip(1, 10)

    def band(bound: str):  # (a fit stored before the band existed flags no one)
        values = {v: m.metrics.get(f"on_the_fence_{bound}", np.nan) for v, m in models.items()}
        return result[spec.group].map(values).astype(float) if spec.group else values[None]

    low, high = band("low"), band("high")
    result["is_on_the_fence"] = (result["probability"] >= low) & (result["probability"] <= high)
    result["scored_at"] = scored_at
    return frames.typed(result.sort_values(entity), score_columns(spec))


ADOPTION = Spec(
    name="adoption",
    key=("user_id", "cutoff_days"),
    label="adopts_within_horizon",
    time_column="signup_date",
    categorical=("creation_source", "email_domain_group"),
    numeric=(
        "org_members_before_cutoff",
        "org_adoption_rate_before_cutoff",
        "active_days_before_cutoff",
        "active_days_in_last_window",
        "logins_before_cutoff",
        "days_since_last_active",
        "signup_hour",
        "signup_weekday",
    ),
    binary=(
        "is_invited",
        "is_inviter_adopted",
        "is_opted_in_to_mailing_list",
        "is_enabled_for_marketing_drip",
    ),
    baseline="active_days_before_cutoff",
    baseline_tiebreak="is_invited",
    group="cutoff_days",
    known="is_adopted_before_cutoff",
    decided="is_adopted_so_far",
    horizon_end="horizon_end_date",
    key_types={"user_id": "bigint", "cutoff_days": "integer"},
)


def return_spec(columns: list[str]) -> Spec:
    """The return model's spec: the page columns depend on the pages in the data."""
    pages = tuple(c for c in columns if c.startswith("page_") and c.endswith("_events"))
    return Spec(
        name="return",
        key=("user_id",),
        label="returns_within_horizon",
        time_column="first_active_date",
        categorical=("os_family", "browser_family", "device_type", "plan"),
        numeric=(
            "first_event_hour",
            "first_event_weekday",
            "first_day_events",
            "first_day_distinct_pages",
            *pages,
        ),
        baseline="first_day_events",
        decided="has_returned_so_far",
        horizon_end="horizon_end_date",
        key_types={"user_id": "varchar"},
    )


def settings_from_meta(meta: dict | None) -> Settings:
    """Settings from a dbt model's config meta (rendered from the project's vars)."""
    meta = meta or {}
    defaults = Settings()
    return Settings(
        seed=int(meta.get("seed", defaults.seed)),
        test_fraction=float(meta.get("test_fraction", defaults.test_fraction)),
        bootstrap_samples=int(meta.get("bootstrap_samples", defaults.bootstrap_samples)),
        max_train_rows=int(meta.get("max_train_rows", defaults.max_train_rows)),
        max_importance_rows=int(meta.get("max_importance_rows", defaults.max_importance_rows)),
        max_bootstrap_rows=int(meta.get("max_bootstrap_rows", defaults.max_bootstrap_rows)),
        max_eval_rows=int(meta.get("max_eval_rows", defaults.max_eval_rows)),
        auc_bootstrap_samples=int(
            meta.get("auc_bootstrap_samples", defaults.auc_bootstrap_samples)
        ),
        fence_quantiles=tuple(float(q) for q in groups_from_meta(meta, "on_the_fence_quantiles"))
        or defaults.fence_quantiles,
    )


def groups_from_meta(meta: dict | None, key: str) -> list:
    """A list from a dbt model's config meta, where a var renders as text ("[0, 1, 3]")."""
    value = (meta or {}).get(key, [])
    return json.loads(value) if isinstance(value, str) else list(value)


def on_refit_cadence(dbt, session, data_ends: pd.DataFrame, scope: str, compute) -> pd.DataFrame:
    """Fit (or cross-validate) only when due; otherwise keep what the last build stored.

    A full build (or ``--full-refresh``) always computes. An incremental build computes
    again only once the newest day of the data (``data_ends``: int_user_type_data_ends) is
    at least ``meta refit_after_days`` (var ml_refit_after_days) past the day the stored
    rows were computed on; until then it returns the stored rows, which the model's
    delete+insert on ``fit_scope`` writes back unchanged. Scoring models still score every
    row on every build, with the stored fit. Adds ``fit_scope`` and ``fitted_data_end``:
    null while the data has no day at all, and then every build computes (at no cost,
    without rows).
    """
    meta = dbt.config.get("meta") or {}
    data_end = pd.to_datetime(data_ends["data_end_date"]).max()
    if dbt.is_incremental and pd.notna(data_end):
        stored = session.execute(f"select * from {dbt.this}").df()
        fitted_on = pd.to_datetime(stored["fitted_data_end"]).max()
        refit_after_days = int(meta.get("refit_after_days", 7))
        if pd.notna(fitted_on) and (data_end - fitted_on).days < refit_after_days:
            # Read back as a timestamp: written back as the date it was.
            stored["fitted_data_end"] = pd.to_datetime(stored["fitted_data_end"]).dt.date
            return stored
    frame = compute().copy()
    frame.insert(0, "fit_scope", scope)
    frame["fitted_data_end"] = data_end
    return frames.cast(frame, {"fit_scope": "varchar", "fitted_data_end": "date"})
