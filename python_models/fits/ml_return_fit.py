"""Fits the return classifiers (both families): on a full build, and on an incremental
build once the data has moved on by var ml_refit_after_days. The spec comes from the
feature table's columns (its page columns are the pages in the data) and is stored with
the fit for the tables that read it."""

from uptake import dbt_runtime, ml


def model(dbt, session):
    data_ends = dbt.ref("int_user_type_data_ends_computed").df()
    features = dbt.ref("int_return_features")
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    settings = dbt_runtime.settings_from_meta(meta)
    # Worker processes (var ml_jobs; 0: one per core): the results are the same.
    jobs = meta.int("jobs")

    def fit():
        frame = features.df()
        return ml.artifacts_frame(
            ml.fit(frame, ml.return_spec(list(frame.columns)), settings, jobs=jobs)
        )

    refit_after_days = meta.int("refit_after_days")
    return dbt_runtime.on_refit_cadence(
        dbt, session, data_ends, "return", fit, refit_after_days=refit_after_days
    )
