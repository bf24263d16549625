"""Can what is learnt from one customer (industry) serve another? AUC matrix: on a full
build, and on an incremental build once the data has moved on by var
ml_refit_after_days."""

from uptake import dbt_runtime, share_models


def model(dbt, session):
    # An evaluation for readers, not a fit (the folder puts fits in schema ml).
    dbt.config(schema="marts", access="public")
    data_ends = dbt.ref("int_user_type_data_ends_computed").df()
    features = dbt.ref("int_share_view_features")
    # Not read: runs after the share/view fit. Both hold the share/view features in
    # memory, and side by side on dbt's two threads they made the full build's peak.
    dbt.ref("ml_share_view_fit")
    meta = dbt_runtime.Meta(dbt.config.get("meta"), dbt.this)
    settings = dbt_runtime.settings_from_meta(meta)

    def read(sql, positions=None):
        # The split reads a few columns; then only the sampled shares leave DuckDB.
        if positions is not None:
            session.register("transfer_positions", positions)
        return features.query("features", sql).df()

    def transfer():
        return share_models.transfer_matrix_from_table(read, settings)

    refit_after_days = meta.int("refit_after_days")
    return dbt_runtime.on_refit_cadence(
        dbt, session, data_ends, "share_view_transfer", transfer, refit_after_days=refit_after_days
    )
