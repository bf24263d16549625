"""Odds ratios (Wald 95% intervals) of the model fitted to be read, the columns it left
out and why, and the scoring families' permutation importances."""

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_return_fit").df(), "ml_return_fit")
    return ml.explanations_frame(fitted)
