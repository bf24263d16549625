"""Top pages each web-tool user has not used yet, from page co-usage."""

from uptake import recommend


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    meta = dbt.config.get("meta") or {}
    usage = dbt.ref("int_user_pages_counted").df()
    return recommend.recommend(usage, top_n=int(meta["top_n"]))
