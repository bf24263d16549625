"""Cross-validated R² of time spent per view, per feature set and model."""

from uptake import share_models


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    meta = dbt.config.get("meta") or {}
    views = dbt.ref("int_view_time_features").df()
    return share_models.time_spent_metrics(
        views,
        seed=int(meta["seed"]),
        folds=int(meta["folds"]),
        max_rows=int(meta["max_train_rows"]),
    )
