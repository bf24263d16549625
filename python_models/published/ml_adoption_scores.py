"""Every account whose adoption is still open (not adopted yet, horizon running), scored at
the latest cut-off it has reached."""

import pandas as pd

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_adoption_fit").df(), "ml_adoption_fit")
    # Only the open rows (each entity's latest, undecided) leave DuckDB.
    features = dbt.ref("int_adoption_features")
    features = features.query("features", ml.open_rows_query(ml.spec_of(fitted), "features")).df()
    return ml.score_latest(
        features,
        fitted,
        scored_at=pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
    )
