"""One row per model family and bin of predicted probability: the reliability table of the
will-the-client-view models on their test rows."""

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_share_view_fit").df(), "ml_share_view_fit")
    return ml.calibration_frame(fitted)
