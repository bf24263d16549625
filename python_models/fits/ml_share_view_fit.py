"""Fits the will-the-client-view classifiers (both families): on a full build, and on an
incremental build once the data has moved on by var ml_refit_after_days."""

from uptake import dbt_runtime, ml, share_models


def model(dbt, session):
    data_ends = dbt.ref("int_user_type_data_ends_computed").df()
    features = dbt.ref("int_share_view_features")
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    settings = dbt_runtime.settings_from_meta(meta)
    # Worker processes (var ml_jobs; 0: one per core): the results are the same.
    jobs = meta.int("jobs")

    def fit():
        return ml.artifacts_frame(
            ml.fit(features.df(), share_models.SHARE_VIEW, settings, jobs=jobs)
        )

    refit_after_days = meta.int("refit_after_days")
    return dbt_runtime.on_refit_cadence(
        dbt, session, data_ends, "share_view", fit, refit_after_days=refit_after_days
    )
