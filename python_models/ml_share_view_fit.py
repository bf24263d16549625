"""Fits the will-the-client-view classifiers (both families) once per build."""

from uptake import ml, share_models


def model(dbt, session):
    dbt.config(materialized="table", schema="ml")
    features = dbt.ref("int_share_view_features").df()
    spec = share_models.SHARE_VIEW
    fitted = ml.fit(features, spec, ml.settings_from_meta(dbt.config.get("meta")))
    return ml.artifacts_frame(fitted, spec)
