"""Every account whose adoption is still open (not adopted yet, horizon running), scored at
the latest cut-off it has reached."""

import pandas as pd

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_adoption_fit").df())
    features = dbt.ref("int_adoption_features").df()
    return ml.score_latest(
        features,
        fitted,
        scored_at=pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
    )
