"""The tables that read a fit: the stored artifacts (*_fit, :mod:`uptake.ml.storage`),
and the metrics, calibration and explanations tables unpacked from them. Every table keeps its typed
columns whatever the fit holds (:mod:`uptake.frames`); a model that was not fitted
still has its metrics row, saying why in ``status``."""

from __future__ import annotations

import pandas as pd

from uptake import frames
from uptake.ml.score import score_population
from uptake.ml.spec import FITTED, SCORING_MODEL, FittedModel, Spec, spec_of
from uptake.ml.storage import FitRefused, dumps, loads


def _group_columns(spec: Spec) -> dict[str, str]:
    return {spec.group: "bigint"} if spec.group else {}


def artifact_columns(spec: Spec) -> dict[str, str]:
    """The *_fit table's columns, without fit_scope and fitted_data_end (added by
    :func:`uptake.dbt_runtime.on_refit_cadence`). An ungrouped model's group_value is
    always null."""
    return {
        "model_name": "varchar",
        "model_version": "varchar",
        **(_group_columns(spec) or {"group_value": "integer"}),
        "artifact": "blob",
    }


# The columns of a *_fit row that are not its group (fit_scope and fitted_data_end come
# from uptake.dbt_runtime.on_refit_cadence).
ARTIFACT_ROW_COLUMNS = ("fit_scope", "model_name", "model_version", "artifact", "fitted_data_end")


def artifacts_frame(fitted: list[FittedModel]) -> pd.DataFrame:
    """One row per model (and group), fitted or not, stored with skops
    (:func:`uptake.ml.storage.dumps`): the *_fit table."""
    spec = spec_of(fitted)
    frame = pd.DataFrame(
        {
            "model_name": [m.model_name for m in fitted],
            "model_version": [m.model_version for m in fitted],
            spec.group or "group_value": [m.group_value for m in fitted],
            "artifact": [dumps(m) for m in fitted],
        }
    )
    return frames.typed(frame, artifact_columns(spec))


def load_artifacts(frame: pd.DataFrame, table: str = "the *_fit table") -> list[FittedModel]:
    """The fitted models of a *_fit table (``table`` names it in messages), with the spec
    they were fitted with (:func:`~uptake.ml.spec.spec_of`). A stored fit that does not
    load safely (:func:`uptake.ml.storage.loads`) stops with :class:`FitRefused`, naming
    the table and the fit and saying how to store it again."""
    fitted = []
    for row in frame.itertuples(index=False):
        try:
            fitted.append(loads(row.artifact))
        except FitRefused as error:
            group = [c for c in frame.columns if c not in ARTIFACT_ROW_COLUMNS]
            where = "".join(f", {c} {getattr(row, c)}" for c in group if pd.notna(getattr(row, c)))
            raise FitRefused(
                f"{table}: the stored fit {row.model_name} {row.model_version}{where} is "
                f"refused: {error}. Fit it again with "
                f"`dbt build --full-refresh --select {table.split('.')[-1]}+`"
            ) from None
    return fitted


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


def metrics_frame(fitted: list[FittedModel], features: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model (and group), fitted or not: held-out quality, or in status why
    the model was not fitted. (A fit stored before status existed reads as fitted when it
    has a pipeline.) With the feature table, the scoring model's rows also say how many
    entities the scored table holds from it (scored_rows) and how many whose latest row
    falls to it were left out as already decided (decided_rows_left_out); see
    :func:`~uptake.ml.score.score_population`. train_rows repeats rows_trained_on (both
    are published columns)."""
    spec = spec_of(fitted)
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
        row["train_rows"] = row.get("rows_trained_on")
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


def calibration_frame(fitted: list[FittedModel]) -> pd.DataFrame:
    """The reliability table of every fitted model: its test rows in bins by predicted
    probability (see :func:`~uptake.ml.evaluate.reliability_bins`); none for a model not
    fitted."""
    spec = spec_of(fitted)
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


def explanations_frame(fitted: list[FittedModel]) -> pd.DataFrame:
    """Permutation importances of the fitted models, and the odds ratios (and dropped
    columns) of the explanation model (model_name explain.EXPLAINED, stored with the
    logistic model); none for a model that was not fitted."""
    spec = spec_of(fitted)
    rows = []
    for model in fitted:
        for item in model.explanations:
            row = {"model_name": model.model_name, "model_version": model.model_version}
            if spec.group:
                row[spec.group] = model.group_value
            rows.append({**row, **item})
    return frames.typed(pd.DataFrame(rows), explanation_columns(spec))
