"""One row per model family: held-out quality of the return models."""

from uptake import ml


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    fitted = ml.load_artifacts(dbt.ref("ml_return_fit").df())
    return ml.metrics_frame(fitted, ml.return_spec([]))
