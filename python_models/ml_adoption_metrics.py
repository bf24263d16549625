"""One row per model family and cut-off: held-out quality of the adoption models."""

from uptake import ml


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    fitted = ml.load_artifacts(dbt.ref("ml_adoption_fit").df())
    return ml.metrics_frame(fitted, ml.ADOPTION)
