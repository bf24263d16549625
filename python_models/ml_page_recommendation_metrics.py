"""Hit rate and precision at k of the recommender, the most-popular baseline and a
random pick, with the recommender's gain over most-popular and its paired interval."""

from uptake import recommend


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    meta = dbt.config.get("meta") or {}
    usage = dbt.ref("int_user_pages_counted").df()
    return recommend.evaluate(
        usage,
        ks=list(range(1, int(meta["top_n"]) + 1)),
        test_fraction=float(meta["test_fraction"]),
        bootstrap_samples=int(meta["bootstrap_samples"]),
        seed=int(meta["seed"]),
    )
