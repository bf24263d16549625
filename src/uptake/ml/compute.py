"""How the work runs, whatever is fitted: on one thread per process (several worker
processes when asked: :func:`in_workers`), in batches, without the warnings that are
expected."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
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


def worker_count(jobs: int, tasks: int) -> int:
    """How many processes run ``tasks`` independent tasks: ``jobs`` (0 or less: one per
    core, os.cpu_count()), at most one per task, at least one."""
    wanted = jobs if jobs > 0 else (os.cpu_count() or 1)
    return max(1, min(wanted, tasks))


def _on_one_thread(function: Callable, args: tuple):
    with one_thread():
        return function(*args)


def in_workers(function: Callable, calls: Iterable[tuple], tasks: int, jobs: int = 1) -> list:
    """``function(*args)`` for every ``args`` of ``calls``, in their order, each on one
    thread (:func:`one_thread`). With one worker (:func:`worker_count` of ``jobs`` and
    ``tasks``, the number of calls) they run here one after the other; otherwise in that
    many worker processes (joblib's loky backend, reused from call to call). A worker
    runs each call as this process would (same seeds, one thread, liblinear alone in
    it), so the results are the same either way. ``calls`` is consumed as tasks are
    handed out (a few ahead), so a generator that slices a frame keeps only those slices
    in memory, and each worker receives only its call's arguments."""
    workers = worker_count(jobs, tasks)
    if workers == 1:
        return [_on_one_thread(function, args) for args in calls]
    parallel = Parallel(n_jobs=workers, backend="loky", batch_size=1, pre_dispatch="n_jobs")
    return parallel(delayed(_on_one_thread)(function, args) for args in calls)


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
