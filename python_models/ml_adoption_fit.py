"""Fits the adoption classifiers (both families, every cut-off): on a full build, and on
an incremental build once the data has moved on by var ml_refit_after_days."""

from uptake import ml


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="fit_scope",
        schema="ml",
    )
    data_ends = dbt.ref("int_user_type_data_ends").df()
    features = dbt.ref("int_adoption_features")
    settings = ml.settings_from_meta(dbt.config.get("meta"))
    # Every cut-off gets its models, fitted or saying why not, even with no features.
    cutoffs = ml.groups_from_meta(dbt.config.get("meta"), "cutoff_days")

    def fit():
        fitted = ml.fit(features.df(), ml.ADOPTION, settings, groups=cutoffs)
        return ml.artifacts_frame(fitted, ml.ADOPTION)

    return ml.on_refit_cadence(dbt, session, data_ends, "adoption", fit)
