"""One row per model family and cut-off: held-out quality of the adoption models."""

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_adoption_fit").df(), "ml_adoption_fit")
    spec = ml.spec_of(fitted)
    # Who the scored table holds and who it leaves out as decided, as of this build.
    features = dbt.ref("int_adoption_features").project(", ".join(ml.population_columns(spec))).df()
    return ml.metrics_frame(fitted, features)
