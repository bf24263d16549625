"""Cross-validated R² of time spent per view, per feature set and model: on a full build,
and on an incremental build once the data has moved on by var ml_refit_after_days."""

from uptake import ml, share_models


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="fit_scope",
        schema="marts",
    )
    data_ends = dbt.ref("int_user_type_data_ends").df()
    meta = dbt.config.get("meta") or {}
    views = dbt.ref("int_view_time_features")

    def cross_validate():
        return share_models.time_spent_metrics(
            views.df(),
            seed=int(meta["seed"]),
            folds=int(meta["folds"]),
            max_rows=int(meta["max_train_rows"]),
        )

    return ml.on_refit_cadence(dbt, session, data_ends, "view_time", cross_validate)
