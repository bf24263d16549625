"""One row per model family: held-out quality of the will-the-client-view models."""

from uptake import ml, share_models


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    fitted = ml.load_artifacts(dbt.ref("ml_share_view_fit").df())
    return ml.metrics_frame(fitted, share_models.SHARE_VIEW)
