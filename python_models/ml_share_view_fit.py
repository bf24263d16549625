"""Fits the will-the-client-view classifiers (both families): on a full build, and on an
incremental build once the data has moved on by var ml_refit_after_days."""

from uptake import ml, share_models


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="fit_scope",
        schema="ml",
    )
    data_ends = dbt.ref("int_user_type_data_ends").df()
    features = dbt.ref("int_share_view_features")
    settings = ml.settings_from_meta(dbt.config.get("meta"))
    spec = share_models.SHARE_VIEW

    def fit():
        return ml.artifacts_frame(ml.fit(features.df(), spec, settings), spec)

    return ml.on_refit_cadence(dbt, session, data_ends, "share_view", fit)
