"""The aha-moment candidates ranked, with bootstrap intervals of phi."""

from uptake import aha


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    meta = dbt.config.get("meta") or {}
    table = dbt.ref("int_aha_thresholds_tabulated").df()
    return aha.aha_moments(table, samples=int(meta["samples"]), seed=int(meta["seed"]))
