"""Per customer and dimension of viewing behaviour, does the customer differ from the
others? A chi-square test with clients as clusters (a client's views share its habits)
and a total-variation effect size, from uptake.stats."""

from uptake import dbt_runtime
from uptake.stats import cluster_category_counts, cluster_distribution_differences

DIMENSIONS = ["view_weekday_name", "view_hour", "view_month", "device_type"]


def model(dbt, session):
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    views = dbt.ref("int_views_deduplicated")
    # DuckDB counts the views per customer, client and category: the per-client table
    # of the test, without the views themselves in pandas. The group by keeps missing
    # keys (left out, and the categories spelled as text, by cluster_category_counts).
    per_cluster = {
        dimension: cluster_category_counts(
            views.aggregate(
                f"customer_code, client_id, {dimension} as category, count(*) as views",
                "customer_code, client_id, category",
            ).df(),
            group_column="customer_code",
            cluster_column="client_id",
            category_column="category",
            count_column="views",
        )
        for dimension in DIMENSIONS
    }
    result = cluster_distribution_differences(
        per_cluster,
        alpha=meta.float("alpha"),
        min_effect_size=meta.float("min_effect_size"),
    )
    result["dimension"] = result["dimension"].replace(
        {
            "view_weekday_name": "weekday",
            "view_hour": "hour",
            "view_month": "month",
            "device_type": "device_type",
        }
    )
    return result.rename(columns={"group_value": "customer_code"})
