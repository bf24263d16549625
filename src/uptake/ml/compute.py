"""How the work runs, whatever is fitted: on one thread, in batches, without the
warnings that are expected."""

from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager, nullcontext

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from uptake.ml.spec import Spec, prepare

# Rows per batch when predicting over a whole table: memory stays flat as rows grow.
BATCH_ROWS = 100_000


@contextmanager
def expected_warnings_silenced():
    """A context without the imputer's warning about a column without any observed value:
    at adoption cut-off 0 no account has activity yet, so its recency column is all
    missing, which the imputer drops, warning on every fit and transform. That is
    expected, not news."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping features without any observed values")
        yield


@contextmanager
def one_thread():
    """A context in which OpenMP and BLAS use one thread (and the expected warnings are
    silenced: :func:`expected_warnings_silenced`). dbt runs two models at once on a
    machine of a few cores: the gradient-boosted trees' OpenMP threads then wait on each
    other and a fit takes several times longer than on one thread."""
    with threadpool_limits(limits=1), expected_warnings_silenced():
        yield


# liblinear (the L1 logistic regressions) seeds the C library's process-wide random
# generator from random_state and draws from it while it fits. dbt runs two Python models
# at once in one process: two liblinear fits at the same moment would draw from one
# sequence, and a fit's coefficients (and every score after them) would change from one
# build to the next by the solver's tolerance. They take turns instead.
_LIBLINEAR = threading.Lock()


def liblinear_turn(uses_liblinear: bool = True):
    """A context in which a liblinear fit runs alone in the process (a no-op otherwise)."""
    return _LIBLINEAR if uses_liblinear else nullcontext()


def predict_proba(
    pipeline: Pipeline, frame: pd.DataFrame, spec: Spec, batch_rows: int = BATCH_ROWS
):
    """Probability of the positive class for every row of a feature frame, prepared and
    predicted batch by batch."""
    parts = [
        pipeline.predict_proba(prepare(frame.iloc[start : start + batch_rows], spec))[:, 1]
        for start in range(0, len(frame), batch_rows)
    ]
    return np.concatenate(parts) if parts else np.empty(0)
