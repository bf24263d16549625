"""The best aha candidates of earlier users, checked on later users."""

from uptake import aha, dbt_runtime


def model(dbt, session):
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    table = dbt.ref("int_aha_thresholds_tabulated").df()
    return aha.validate(
        table, top=meta.int("top"), samples=meta.int("samples"), seed=meta.int("seed")
    )
