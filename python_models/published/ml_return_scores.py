"""Every web-tool user whose return is not known yet (not back yet, horizon running), scored
from the first active day: will the user come back?"""

import pandas as pd

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_return_fit").df(), "ml_return_fit")
    # Only the open rows (each entity's latest, undecided) leave DuckDB.
    features = dbt.ref("int_return_features")
    features = features.query("features", ml.open_rows_query(ml.spec_of(fitted), "features")).df()
    return ml.score_latest(
        features,
        fitted,
        scored_at=pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
    )
