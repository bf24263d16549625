"""Fit, compare, explain and score the classifiers behind the ml_* tables.

The dbt Python models stay thin: a ``*_fit`` model reads a feature table and calls
:func:`fit` (on the refit cadence of :mod:`uptake.dbt_runtime`), storing
:func:`artifacts_frame`; the metrics, calibration, explanation and score models unpack
the fitted artifacts (:func:`load_artifacts`, which carry the spec they were fitted
with) with :func:`metrics_frame`, :func:`calibration_frame`, :func:`explanations_frame`
and :func:`score_latest`. Everything is deterministic for a seed.

The modules, in the order a fit runs through them:

- :mod:`~uptake.ml.spec`: what a model learns from (``Spec``, the adoption and return
  specs), how it is fitted (``Settings``), what a fit stores (``FittedModel``);
- :mod:`~uptake.ml.split`: which rows train and test (by time, with an embargo, in
  bounded samples) and time-ordered cross-validation folds;
- :mod:`~uptake.ml.fit`: the two families (L1 logistic regression, which scores, and
  gradient-boosted trees) fitted per group, cross-validated and evaluated;
- :mod:`~uptake.ml.evaluate`: ROC AUC with paired bootstrap intervals against a
  baseline, calibration and the reliability table;
- :mod:`~uptake.ml.explain`: odds ratios of a model fitted to be read, permutation
  importances, per-row top factors;
- :mod:`~uptake.ml.score`: who is scored (only entities whose outcome is still open),
  deciles and the on-the-fence band;
- :mod:`~uptake.ml.tables`: the typed tables read from a fit;
- :mod:`~uptake.ml.compute`: one thread, batches, expected warnings silenced.

Work stays bounded as data grows: when more than ``max_train_rows`` rows could train, a
seeded random sample of that many fits and cross-validates (the metrics record
``rows_available`` and ``rows_trained_on``), and the explanation model fits on at most
that many labelled rows; permutation importances use a seeded sample of at most
``max_importance_rows`` test rows; every prediction over all rows runs in batches, and
every fit runs on one thread.

A model that cannot be fitted (no rows, no known outcomes, too few of an outcome to
cross-validate, a test split with one outcome) is still stored, without a pipeline, and
its metrics row says why in ``status``; its scores and explanations are then empty.
"""

from uptake.ml.compute import liblinear_turn, one_thread, predict_proba
from uptake.ml.fit import fit
from uptake.ml.score import open_rows_query, population_columns, score_latest
from uptake.ml.spec import (
    ADOPTION,
    BOOSTED,
    FAMILIES,
    FITTED,
    LOGISTIC,
    SCORING_MODEL,
    FittedModel,
    Settings,
    Spec,
    prepare,
    return_spec,
    spec_of,
)
from uptake.ml.tables import (
    artifacts_frame,
    calibration_frame,
    explanations_frame,
    load_artifacts,
    metrics_frame,
)

__all__ = [
    "ADOPTION",
    "BOOSTED",
    "FAMILIES",
    "FITTED",
    "LOGISTIC",
    "SCORING_MODEL",
    "FittedModel",
    "Settings",
    "Spec",
    "artifacts_frame",
    "calibration_frame",
    "explanations_frame",
    "fit",
    "load_artifacts",
    "metrics_frame",
    "liblinear_turn",
    "one_thread",
    "open_rows_query",
    "population_columns",
    "predict_proba",
    "prepare",
    "return_spec",
    "score_latest",
    "spec_of",
]
