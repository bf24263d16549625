"""One row per model family and bin of predicted probability: the reliability table of the
return models on their test rows."""

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_return_fit").df(), "ml_return_fit")
    return ml.calibration_frame(fitted)
