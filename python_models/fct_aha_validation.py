"""The best aha candidates of earlier users, checked on later users."""

from uptake import aha


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    meta = dbt.config.get("meta") or {}
    table = dbt.ref("int_aha_thresholds_tabulated").df()
    return aha.validate(
        table, top=int(meta["top"]), samples=int(meta["samples"]), seed=int(meta["seed"])
    )
