"""Fits the return classifiers (both families) once per build."""

from uptake import ml


def model(dbt, session):
    dbt.config(materialized="table", schema="ml")
    features = dbt.ref("int_return_features").df()
    spec = ml.return_spec(list(features.columns))
    fitted = ml.fit(features, spec, ml.settings_from_meta(dbt.config.get("meta")))
    return ml.artifacts_frame(fitted, spec)
