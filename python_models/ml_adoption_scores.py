"""Every account scored at the latest cut-off it has reached without adopting."""

import pandas as pd

from uptake import ml


def model(dbt, session):
    dbt.config(materialized="table", schema="marts")
    meta = dbt.config.get("meta") or {}
    fitted = ml.load_artifacts(dbt.ref("ml_adoption_fit").df())
    features = dbt.ref("int_adoption_features").df()
    return ml.score_latest(
        features,
        fitted,
        ml.ADOPTION,
        band=(float(meta["band_low"]), float(meta["band_high"])),
        scored_at=pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
    )
