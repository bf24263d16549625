"""Can what is learnt from one customer (industry) serve another? AUC matrix: on a full
build, and on an incremental build once the data has moved on by var
ml_refit_after_days."""

from uptake import ml, share_models


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="fit_scope",
        schema="marts",
    )
    data_ends = dbt.ref("int_user_type_data_ends").df()
    features = dbt.ref("int_share_view_features")
    settings = ml.settings_from_meta(dbt.config.get("meta"))

    def transfer():
        return share_models.transfer_matrix(features.df(), settings)

    return ml.on_refit_cadence(dbt, session, data_ends, "share_view_transfer", transfer)
