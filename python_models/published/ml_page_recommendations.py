"""Top pages each web-tool user has not used yet, from page co-usage."""

from uptake import dbt_runtime, recommend


def model(dbt, session):
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    # The pairs only: the view's first/last use and counts are not read here.
    usage = dbt.ref("int_user_pages_counted").project("user_id, page").df()
    return recommend.recommend(usage, top_n=meta.int("top_n"))
