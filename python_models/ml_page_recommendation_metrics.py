"""Hit rate and precision at k of the recommender and the most-popular baseline."""

import pandas as pd

from uptake import recommend


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    meta = dbt.config.get("meta") or {}
    usage = dbt.ref("int_user_page_usage").df()
    return pd.concat(
        [
            recommend.evaluate(usage, k=k, test_fraction=float(meta["test_fraction"]))
            for k in range(1, int(meta["top_n"]) + 1)
        ],
        ignore_index=True,
    )
