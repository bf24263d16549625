"""The aha-moment candidates ranked, with bootstrap intervals of phi."""

from uptake import aha, dbt_runtime


def model(dbt, session):
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    table = dbt.ref("int_aha_thresholds_tabulated").df()
    return aha.aha_moments(table, samples=meta.int("samples"), seed=meta.int("seed"))
