"""One row per model family, cut-off and bin of predicted probability: the reliability
table of the adoption models on their test rows."""

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_adoption_fit").df(), "ml_adoption_fit")
    return ml.calibration_frame(fitted)
