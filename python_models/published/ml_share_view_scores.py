"""Every open share not viewed so far (its viewing window not over at the end of the data)
scored."""

import pandas as pd

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_share_view_fit").df(), "ml_share_view_fit")
    # Only the open rows (each entity's latest, undecided) leave DuckDB.
    features = dbt.ref("int_share_view_features")
    features = features.query("features", ml.open_rows_query(ml.spec_of(fitted), "features")).df()
    return ml.score_latest(
        features,
        fitted,
        scored_at=pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
    )
