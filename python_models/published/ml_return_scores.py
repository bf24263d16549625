"""Every web-tool user whose return is not known yet (not back yet, horizon running), scored
from the first active day: will the user come back?"""

import pandas as pd

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_return_fit").df())
    features = dbt.ref("int_return_features").df()
    return ml.score_latest(
        features,
        fitted,
        scored_at=pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
    )
