"""One row per model family: held-out quality of the will-the-client-view models."""

from uptake import ml


def model(dbt, session):
    fitted = ml.load_artifacts(dbt.ref("ml_share_view_fit").df(), "ml_share_view_fit")
    spec = ml.spec_of(fitted)
    # Who the scored table holds and who it leaves out as decided, as of this build.
    features = (
        dbt.ref("int_share_view_features").project(", ".join(ml.population_columns(spec))).df()
    )
    return ml.metrics_frame(fitted, features)
