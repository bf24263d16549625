"""Fit both families for every group: the pipelines, cross-validation, the held-out
evaluation and the explanations of one fit.

Two model families are compared on every fit: L1-regularised logistic regression (it
scores) and gradient-boosted trees. For each group (e.g. cut-off) :func:`fit_group`
splits the rows (:mod:`uptake.ml.split`), and when they can be fitted,
:func:`fit_family` fits one family, cross-validates it in time order, evaluates it on
the test rows (:mod:`uptake.ml.evaluate`) and explains it (:mod:`uptake.ml.explain`).
Every fit runs on one thread; with ``jobs`` above one, the fits of the groups and
families run in that many worker processes, one (group, family) each, with the same
results (:func:`uptake.ml.compute.in_workers`); every prediction over many rows runs in
batches (:mod:`uptake.ml.compute`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from uptake import frames
from uptake.ml import evaluate, explain, score
from uptake.ml.compute import in_workers, liblinear_turn, predict_proba
from uptake.ml.spec import (
    BOOSTED,
    FAMILIES,
    FITTED,
    LOGISTIC,
    FittedModel,
    Settings,
    Spec,
    labels,
    model_version,
    prepare,
)
from uptake.ml.split import (
    GroupSplit,
    sample_rows,
    split_group,
    split_metrics,
    time_folds,
    unfit_reason,
)

# The L1 strengths the logistic model's own cross-validation chooses from.
LOGISTIC_CS = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
# Permutation importances shuffle each feature (group) this many times.
IMPORTANCE_REPEATS = 5


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


def pipelines(spec: Spec, settings: Settings) -> dict[str, Pipeline]:
    """One unfitted pipeline per family (:data:`~uptake.ml.spec.FAMILIES`): the spec's
    columns prepared (one-hot, imputed and scaled, passed through), then the model."""
    folds = StratifiedKFold(settings.cv_folds, shuffle=True, random_state=settings.seed)
    models = {
        LOGISTIC: LogisticRegressionCV(
            Cs=LOGISTIC_CS,
            penalty="l1",
            solver="liblinear",
            scoring="roc_auc",
            cv=folds,
            random_state=settings.seed,
            max_iter=500,
        ),
        BOOSTED: HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.06,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=settings.seed,
        ),
    }
    return {
        name: Pipeline([("prepare", _preprocessor(spec)), ("model", models[name])])
        for name in FAMILIES
    }


def _why_not_fitted(split: GroupSplit, spec: Spec, settings: Settings) -> str | None:
    """Why one group's models cannot be fitted (no rows; see
    :func:`~uptake.ml.split.unfit_reason`), or None when they can."""
    if not len(split.scorable):
        return "not fitted: no rows to learn from (the feature table is empty)"
    return unfit_reason(labels(split.train, spec), labels(split.test, spec), settings.cv_folds)


def cross_validated_auc(
    name: str, pipeline: Pipeline, split: GroupSplit, spec: Spec, settings: Settings
) -> dict:
    """The spread of the ROC AUC across expanding time-ordered folds of the training rows
    (:func:`~uptake.ml.split.time_folds`, as the test split forecasts); the logistic model
    is cross-validated at the C its own CV chose (not a nested search)."""
    checked = clone(pipeline)
    if name == LOGISTIC:
        chosen = float(pipeline.named_steps["model"].C_[0])
        checked.set_params(
            # Seeded as the fitted model is: liblinear otherwise draws from numpy's global
            # generator, and the CV spread changed from one build to the next.
            model=LogisticRegression(
                penalty="l1",
                solver="liblinear",
                C=chosen,
                max_iter=500,
                random_state=settings.seed,
            )
        )
    folds = time_folds(split.train, spec, settings.cv_folds)
    if folds:
        with liblinear_turn(name == LOGISTIC):
            cv = cross_val_score(
                checked,
                prepare(split.train, spec),
                labels(split.train, spec),
                cv=folds,
                scoring="roc_auc",
            )
    else:
        cv = np.array([np.nan])
    return {
        "cv_folds": len(folds),
        "cv_roc_auc_mean": float(cv.mean()),
        "cv_roc_auc_std": float(cv.std()),
    }


def _explanations(
    name: str,
    pipeline: Pipeline,
    split: GroupSplit,
    aliases: list[list[str]],
    spec: Spec,
    settings: Settings,
) -> list[dict]:
    """Permutation importances of a fitted family (aliased features, one to one or equal,
    shuffled together); for the logistic model also the odds ratios of the model fitted
    to be read, on every labelled row of the group (at most max_train_rows), not the L1
    fit. The logistic pipeline keeps its categoricals' reference levels for the per-row
    factors of the scores (:func:`uptake.ml.explain.top_factors`)."""
    rows = explain.permutation_importances(
        pipeline,
        prepare(split.explained, spec),
        labels(split.explained, spec),
        aliases,
        repeats=IMPORTANCE_REPEATS,
        seed=settings.seed,
    )
    if name == LOGISTIC:
        pipeline.uptake_reference_levels = explain.reference_levels(
            prepare(split.train, spec), spec
        )
        read = sample_rows(split.labelled, settings.max_train_rows, settings.seed)
        rows += explain.explained_fit(prepare(read, spec), labels(read, spec), spec)
    return rows


def fit_family(
    name: str,
    pipeline: Pipeline,
    split: GroupSplit,
    spec: Spec,
    settings: Settings,
    described: dict,
    baseline: np.ndarray,
    aliases: list[list[str]],
) -> tuple[Pipeline, dict, list[dict], list[dict]]:
    """Fit one family on the training rows. Returns the fitted pipeline; its metrics
    (``described``: the split's and the baseline's, completed by cross-validation, the
    held-out measures against the baseline's test scores ``baseline``, and the
    on-the-fence band); its reliability table; and its explanations (``aliases``: the
    feature groups shuffled together)."""
    y_test = labels(split.test, spec)
    with liblinear_turn(name == LOGISTIC):
        pipeline.fit(prepare(split.train, spec), labels(split.train, spec))
    probability = predict_proba(pipeline, split.test, spec)
    metrics = {
        **described,
        "status": FITTED,
        **cross_validated_auc(name, pipeline, split, spec, settings),
        **evaluate.held_out_metrics(
            y_test,
            probability,
            baseline,
            described["baseline_roc_auc"],
            settings,
        ),
        **score.fence_band(probability, settings.fence_quantiles),
    }
    calibration = evaluate.reliability_bins(y_test, probability)
    explanations = _explanations(name, pipeline, split, aliases, spec, settings)
    return pipeline, metrics, calibration, explanations


def fit_group(
    frame: pd.DataFrame,
    spec: Spec,
    settings: Settings,
    group_value,
    version: str,
    families: Iterable[str] = FAMILIES,
) -> list[FittedModel]:
    """The families (both, or those named, in :data:`~uptake.ml.spec.FAMILIES` order)
    fitted on one group's rows, or stored unfitted saying why. A family's fit depends on
    the group's rows and the settings only, not on the other family's."""
    families = [name for name in FAMILIES if name in set(families)]
    split = split_group(frame, spec, settings)
    baseline = evaluate.baseline_score(split.train, split.test, spec)
    described = {
        **split_metrics(split, spec, settings),
        "baseline_roc_auc": (
            evaluate.auc(labels(split.test, spec), baseline) if spec.baseline else 0.5
        ),
    }
    reason = _why_not_fitted(split, spec, settings)
    if reason:
        return [
            FittedModel(
                name, version, group_value, None, {**described, "status": reason}, spec=spec
            )
            for name in families
        ]
    aliases = explain.aliased_groups(prepare(split.train, spec), spec)
    fitted = []
    for name in families:
        pipeline = pipelines(spec, settings)[name]
        pipeline, metrics, calibration, explanations = fit_family(
            name, pipeline, split, spec, settings, described, baseline, aliases
        )
        fitted.append(
            FittedModel(
                name,
                version,
                group_value,
                pipeline,
                metrics,
                explanations=explanations,
                calibration=calibration,
                spec=spec,
            )
        )
    return fitted


def fit(
    frame: pd.DataFrame, spec: Spec, settings: Settings, groups: Iterable = (), jobs: int = 1
) -> list[FittedModel]:
    """Fit both families for every group (or once): the artifacts of one build. A group
    value in ``groups`` that the frame lacks (every one, when the frame is empty) still
    gets its models, not fitted, saying why. ``jobs``: worker processes (1: here, one
    fit after the other; 0: one per core), at most one per (group, family); each
    receives only its group's rows and the spec's columns (``Spec.columns``), and the
    models are the same whatever ``jobs`` is."""
    version = model_version(spec, settings)
    # The rows in key order, as positions: no sorted copy of the whole frame is made. A
    # group's rows are copied when its call is handed out, with the spec's columns only
    # (what a worker receives), indexed by their position in key order.
    keys = frame[list(spec.key)].reset_index(drop=True)
    in_key_order = keys.sort_values(list(spec.key)).index.to_numpy()
    columns = [frame.columns.get_loc(column) for column in spec.columns]
    if spec.group is None:
        values, group_of = [None], None
    else:
        values = sorted(set(frame[spec.group].dropna().unique()) | set(groups))
        group_of = frame[spec.group].to_numpy()[in_key_order]

    def rows(value) -> pd.DataFrame:
        if spec.group is None:
            part = frame.iloc[in_key_order, columns]
            part.index = pd.RangeIndex(len(frame))
            return part
        positions = np.flatnonzero(group_of == value)
        part = frame.iloc[in_key_order[positions], columns]
        part.index = pd.RangeIndex(len(frame))[positions]
        return part

    # One call per (group, family), the slowest family (boosted) first; generated as
    # they are handed out, so only the groups being fitted are sliced at a time.
    order = sorted(FAMILIES, key=lambda name: name != BOOSTED)
    calls = (
        (rows(value), spec, settings, value, version, (name,)) for value in values for name in order
    )
    fitted = in_workers(fit_group, calls, tasks=len(values) * len(order), jobs=jobs)
    # Back in the order of a serial fit: by group, then FAMILIES.
    fitted = sorted(
        (model for models in fitted for model in models),
        key=lambda model: (values.index(model.group_value), FAMILIES.index(model.model_name)),
    )
    _warn_not_fitted(fitted, spec)
    return fitted


def _warn_not_fitted(fitted: list[FittedModel], spec: Spec) -> None:
    """Both families of a group share the reason they were not fitted: warn once per
    reason, naming the groups."""
    not_fitted: dict[str, list] = {}
    for model in fitted:
        if model.pipeline is None and model.model_name == LOGISTIC:
            not_fitted.setdefault(model.metrics["status"], []).append(model.group_value)
    for reason, values in not_fitted.items():
        where = f" ({spec.group} {', '.join(map(str, values))})" if spec.group else ""
        frames.warn(f"{spec.name} models{where}: {reason}")
