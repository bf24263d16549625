"""Cross-validated R² of time spent per view, per feature set and model: on a full build,
and on an incremental build once the data has moved on by var ml_refit_after_days."""

from uptake import dbt_runtime, share_models


def model(dbt, session):
    # An evaluation for readers, not a fit (the folder puts fits in schema ml).
    dbt.config(schema="marts", access="public")
    data_ends = dbt.ref("int_user_type_data_ends_computed").df()
    views = dbt.ref("int_view_time_features")
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    settings = dbt_runtime.settings_from_meta(meta)
    # Worker processes (var ml_jobs; 0: one per core): the results are the same.
    jobs = meta.int("jobs")

    def cross_validate():
        return share_models.time_spent_metrics(
            views.df(),
            seed=settings.seed,
            folds=settings.cv_folds,
            max_rows=settings.max_train_rows,
            jobs=jobs,
        )

    refit_after_days = meta.int("refit_after_days")
    return dbt_runtime.on_refit_cadence(
        dbt, session, data_ends, "view_time", cross_validate, refit_after_days=refit_after_days
    )
