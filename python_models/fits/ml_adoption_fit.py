"""Fits the adoption classifiers (both families, every cut-off): on a full build, and on
an incremental build once the data has moved on by var ml_refit_after_days."""

from uptake import dbt_runtime, ml


def model(dbt, session):
    data_ends = dbt.ref("int_user_type_data_ends_computed").df()
    features = dbt.ref("int_adoption_features")
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    settings = dbt_runtime.settings_from_meta(meta)
    # Worker processes (var ml_jobs; 0: one per core): the results are the same.
    jobs = meta.int("jobs")
    # Every cut-off gets its models, fitted or saying why not, even with no features.
    cutoffs = meta.list("cutoff_days")

    def fit():
        return ml.artifacts_frame(
            ml.fit(features.df(), ml.ADOPTION, settings, groups=cutoffs, jobs=jobs)
        )

    refit_after_days = meta.int("refit_after_days")
    return dbt_runtime.on_refit_cadence(
        dbt, session, data_ends, "adoption", fit, refit_after_days=refit_after_days
    )
