"""Hit rate and precision at k of the recommender, the most-popular baseline and a
random pick, with the recommender's gain over most-popular and its paired interval."""

from uptake import dbt_runtime, recommend


def model(dbt, session):
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    usage = dbt.ref("int_user_pages_counted").df()
    return recommend.evaluate(
        usage,
        ks=list(range(1, meta.int("top_n") + 1)),
        test_fraction=meta.float("test_fraction"),
        bootstrap_samples=meta.int("bootstrap_samples"),
        seed=meta.int("seed"),
    )
