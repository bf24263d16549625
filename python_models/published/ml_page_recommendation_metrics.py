"""Hit rate and precision at k of the recommender, the most-popular baseline and a
random pick, with the recommender's gain over most-popular and its paired interval. An
evaluation, like the fits' metrics: computed on a full build, and on an incremental
build once the data has moved on by var ml_refit_after_days (the stored rows are kept
until then)."""

from uptake import dbt_runtime, recommend


def model(dbt, session):
    data_ends = dbt.ref("int_user_type_data_ends_computed").df()
    usage = dbt.ref("int_user_pages_counted")
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)

    def evaluate():
        return recommend.evaluate(
            usage.df(),
            ks=list(range(1, meta.int("top_n") + 1)),
            test_fraction=meta.float("test_fraction"),
            bootstrap_samples=meta.int("bootstrap_samples"),
            seed=meta.int("seed"),
        )

    refit_after_days = meta.int("refit_after_days")
    return dbt_runtime.on_refit_cadence(
        dbt,
        session,
        data_ends,
        "page_recommendation_metrics",
        evaluate,
        refit_after_days=refit_after_days,
    )
