"""Per customer and dimension of viewing behaviour, does the customer differ from the
others? A chi-square test with clients as clusters (a client's views share its habits)
and a total-variation effect size, from uptake.stats."""

from uptake import dbt_runtime
from uptake.stats import distribution_differences

DIMENSIONS = ["view_weekday_name", "view_hour", "view_month", "device_type"]


def model(dbt, session):
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    views = dbt.ref("int_views_deduplicated").df()
    result = distribution_differences(
        views,
        group_column="customer_code",
        dimensions=DIMENSIONS,
        cluster_column="client_id",
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
