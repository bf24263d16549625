"""Can what is learnt from one customer (industry) serve another? AUC matrix."""

from uptake import ml, share_models


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    features = dbt.ref("int_share_view_features").df()
    return share_models.transfer_matrix(features, ml.settings_from_meta(dbt.config.get("meta")))
