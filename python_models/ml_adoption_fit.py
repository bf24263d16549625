"""Fits the adoption classifiers (both families, every cut-off) once per build."""

from uptake import ml


def model(dbt, session):
    dbt.config(materialized="table", schema="ml")
    features = dbt.ref("int_adoption_features").df()
    fitted = ml.fit(features, ml.ADOPTION, ml.settings_from_meta(dbt.config.get("meta")))
    return ml.artifacts_frame(fitted, ml.ADOPTION)
