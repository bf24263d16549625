"""Scores for the entities whose outcome is still open, with deciles, the on-the-fence
band and each row's top factors.

Scores go only to entities whose outcome is still open (:func:`score_population`): each
entity's latest row, not yet decided. The scoring model is the logistic family
(:data:`~uptake.ml.spec.SCORING_MODEL`); scoring runs in batches so that memory stays
flat as rows grow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uptake import frames
from uptake.ml import explain
from uptake.ml.compute import BATCH_ROWS, expected_warnings_silenced
from uptake.ml.spec import SCORING_MODEL, FittedModel, Spec, prepare, spec_of


def fence_band(probability: np.ndarray, quantiles: tuple[float, float]) -> dict:
    """The on-the-fence band of a model: these quantiles of its probabilities on its own
    test rows (per model: base rates differ between cut-offs)."""
    low, high = quantiles
    return {
        "on_the_fence_low": float(np.quantile(probability, low)),
        "on_the_fence_high": float(np.quantile(probability, high)),
    }


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
    """The feature-table columns that :func:`score_population` reads: the flags, and the
    key only where it finds each entity's latest row (a grouped spec: an ungrouped
    table's rows are its entities, and a text key is the widest column to read)."""
    flags = [spec.label, spec.censored, spec.known, spec.decided]
    return [*(spec.key if spec.group else ()), *[c for c in flags if c]]


def open_rows_query(spec: Spec, table: str) -> str:
    """A DuckDB query over the feature table ``table`` that keeps the spec's columns of
    the rows :func:`score_population` scores, and no other: each entity's latest row (its
    latest group value; null ranks latest, as in the frame's sort) when it is open. The
    scored tables read only these rows into pandas instead of the whole feature table
    (most rows are decided); :func:`score_latest` selects the same rows again."""

    def flag(column: str | None) -> str | None:
        return f"coalesce(cast({column} as boolean), false)" if column else None

    conditions = [f"{spec.label} is null", flag(spec.censored)]
    conditions += [f"not {flag(c)}" for c in (spec.known, spec.decided) if c]
    select = ", ".join(spec.columns)
    where = " and ".join(c for c in conditions if c)
    if not spec.group:
        return f"select {select} from {table} where {where}"
    # The latest row of each entity first, then whether it is open.
    entity = ", ".join(k for k in spec.key if k != spec.group)
    return (
        f"select * from (select {select} from {table} "
        f"qualify row_number() over (partition by {entity} "
        f"order by {spec.group} desc nulls first) = 1) as latest_rows where {where}"
    )


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


def _score_batch(batch: pd.DataFrame, model: FittedModel, spec: Spec, top: int) -> pd.DataFrame:
    """One batch of rows scored by one model: key, probability, top factors, model."""
    entity = [k for k in spec.key if k != spec.group]
    x = prepare(batch, spec)
    scored = batch[entity + ([spec.group] if spec.group else [])].copy()
    scored["probability"] = model.pipeline.predict_proba(x)[:, 1]
    references = getattr(model.pipeline, "uptake_reference_levels", None)
    scored["top_factors"] = explain.top_factors(model.pipeline, x, top, references)
    scored["model_name"] = model.model_name
    scored["model_version"] = model.model_version
    return scored


def _deciles_and_band(result: pd.DataFrame, models: dict, spec: Spec) -> pd.DataFrame:
    """Deciles and the on-the-fence flag within each model: the cut-off models differ in
    base rate."""
    group = result[spec.group] if spec.group else pd.Series(0, index=result.index)
    sizes = result["probability"].groupby(group).transform("size")
    # Ranked by probability, ties broken by the entity key, so that a decile never depends
    # on the order the rows arrived in. Rounded to 1e-12 first: the same features computed
    # by two engines (DuckDB, Spark) can differ in their last bits, and so can the
    # probabilities of two entities otherwise tied.
    entity = [k for k in spec.key if k != spec.group]
    order = result[entity].assign(
        _model=group.to_numpy(), _probability=result["probability"].round(12).to_numpy()
    )
    order = order.sort_values(["_model", "_probability", *entity], kind="mergesort")
    ranks = (order.groupby("_model", sort=False).cumcount() + 1).reindex(result.index)
    result["decile"] = np.ceil(ranks / sizes * 10).astype(int).clip(1, 10)

    def band(bound: str):  # (a fit stored before the band existed flags no one)
        values = {v: m.metrics.get(f"on_the_fence_{bound}", np.nan) for v, m in models.items()}
        return result[spec.group].map(values).astype(float) if spec.group else values[None]

    low, high = band("low"), band("high")
    result["is_on_the_fence"] = (result["probability"] >= low) & (result["probability"] <= high)
    return result


def score_latest(
    frame: pd.DataFrame,
    fitted: list[FittedModel],
    *,
    scored_at: pd.Timestamp,
    batch_rows: int = BATCH_ROWS,
    top_factors: int = 3,
) -> pd.DataFrame:
    """One row per entity whose outcome is still open (see :func:`score_population`):
    its probability from the scoring model at its latest group value, its decile among
    the rows that model scores, the on-the-fence flag (probability within the model's
    own band: on_the_fence_low/high in its metrics, quantiles of its test-row
    probabilities) and top factors. The spec is the one the models were fitted with."""
    spec = spec_of(fitted)
    frame, _ = score_population(frame, spec)
    models = {m.group_value: m for m in fitted if m.model_name == SCORING_MODEL and m.pipeline}
    parts = []
    with expected_warnings_silenced():
        for value, part in frame.groupby(spec.group, sort=True) if spec.group else [(None, frame)]:
            model = models.get(value)
            if model is None:
                continue
            for start in range(0, len(part), batch_rows):
                batch = part.iloc[start : start + batch_rows]
                parts.append(_score_batch(batch, model, spec, top_factors))
    if not parts:
        if not len(frame):
            frames.warn(f"{spec.name} scores: no rows to score; the scored table is empty")
        else:
            frames.warn(
                f"{spec.name} scores: no fitted {SCORING_MODEL} for the {len(frame)} rows to "
                "score (see status in the metrics table); the scored table is empty"
            )
        return frames.empty(score_columns(spec))
    result = _deciles_and_band(pd.concat(parts, ignore_index=True), models, spec)
    result["scored_at"] = scored_at
    entity = [k for k in spec.key if k != spec.group]
    return frames.typed(result.sort_values(entity), score_columns(spec))
