"""How the work runs, whatever is fitted: on one thread, in batches, without the
warnings that are expected."""

from __future__ import annotations

import warnings
from contextlib import contextmanager

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
