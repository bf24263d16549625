"""Per customer and dimension of viewing behaviour, does the customer differ from the
others? A chi-square test with clients as clusters (a client's views share its habits)
and a total-variation effect size, from uptake.stats."""

from uptake.stats import distribution_differences

DIMENSIONS = ["view_weekday_name", "view_hour", "view_month", "device_type"]


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    settings = dbt.config.get("meta") or {}
    views = dbt.ref("int_views_linked").df()
    views = views[~views["is_exact_duplicate"]]
    result = distribution_differences(
        views,
        group_column="customer_code",
        dimensions=DIMENSIONS,
        cluster_column="client_id",
        alpha=float(settings.get("alpha", 0.01)),
        min_effect_size=float(settings.get("min_effect_size", 0.1)),
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
