"""How a fit is stored in its *_fit table: skops, a format that loads without running code.

A pickle runs whatever code its bytes name when it is loaded, and a *_fit table can be
changed by anyone who can write the DuckDB file. So a fit is stored with skops (pinned in
requirements.lock), which keeps an object as a JSON description of its state plus numpy
arrays, and when loading builds only the types it was told to trust: skops' own list
(built-ins, numpy arrays, scikit-learn estimators) and :data:`TRUSTED_TYPES`. A blob that
names any other type, that is not a skops file at all (a pickle written by an earlier
version of uptake, a changed or cut blob), or whose content is not the shape written
here, is refused with :class:`FitRefused`.

What is stored is plain data, not the project's classes: the fitted pipeline, the
metrics (timestamps as ISO text), explanations and reliability bins, and the spec's
fields; :func:`loads` builds the :class:`~uptake.ml.spec.FittedModel` and
:class:`~uptake.ml.spec.Spec` again. So no class of uptake is on the trusted list.

A blob rewritten by hand from trusted types only (other coefficients, say) still loads:
it cannot run code, but only a signature with a key kept outside the database would tell
it from a real fit.
"""

from __future__ import annotations

import dataclasses
import io
import threading
import zipfile
import zlib

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from uptake.ml.spec import FittedModel, Spec

# The types a stored fit may hold beyond skops' defaults: what scikit-learn's fitted
# pipelines of uptake.ml.fit hold (the boosted trees' predictors, the logistic model's
# folds, the dtypes of encoders and imputers). Nothing that can name code to run.
TRUSTED_TYPES = (
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.model_selection._split.StratifiedKFold",
)
# Stored in every payload; a payload of another format is refused.
FORMAT = "uptake-fit/1"
_PICKLE_PROTOCOL_2_PLUS = b"\x80"
# One load at a time in a process: skops reads its arrays with numpy, which parses each
# array's header with the ast module, and CPython 3.11's ast is not safe in two threads
# at once ("SystemError: AST constructor recursion depth mismatch" when dbt ran two
# models reading fits side by side).
_LOADING = threading.Lock()
# What reading a changed or cut skops file raises (anything else is a bug, not a bad fit).
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
)


class FitRefused(ValueError):
    """A stored fit that is not loaded. Its message says why and what to do; dbt shows
    it without a stack trace (a Python model's error is printed with its traceback, and
    this one has none to show)."""

    # dbt-duckdb prints a failing Python model's exception with traceback.format_exception,
    # which reads __traceback__: the message alone says what is wrong and what to do.
    @property
    def __traceback__(self):
        return None

    @__traceback__.setter
    def __traceback__(self, value):
        BaseException.__traceback__.__set__(self, value)


def _plain_metrics(metrics: dict) -> tuple[dict, list[str]]:
    """The metrics with timestamps as ISO text (skops cannot hold pandas' Timestamp), and
    the keys that were timestamps."""
    plain, stamps = {}, []
    for key, value in metrics.items():
        if isinstance(value, pd.Timestamp | type(pd.NaT)):
            stamps.append(key)
            value = None if pd.isna(value) else value.isoformat()
        elif isinstance(value, np.generic):
            value = value.item()
        plain[key] = value
    return plain, stamps


def dumps(model: FittedModel) -> bytes:
    """One fitted model as skops bytes of plain data."""
    import skops.io as sio

    metrics, stamps = _plain_metrics(model.metrics)
    group = model.group_value
    payload = {
        "format": FORMAT,
        "model_name": model.model_name,
        "model_version": model.model_version,
        "group_value": group.item() if isinstance(group, np.generic) else group,
        "pipeline": model.pipeline,
        "metrics": metrics,
        "timestamp_metrics": stamps,
        "explanations": model.explanations,
        "calibration": model.calibration,
        "spec": None if model.spec is None else dataclasses.asdict(model.spec),
    }
    return sio.dumps(payload, compression=zipfile.ZIP_DEFLATED)


def _spec(fields: dict | None) -> Spec | None:
    if fields is None:
        return None
    known = {field.name for field in dataclasses.fields(Spec)}
    if set(fields) != known:
        raise FitRefused(f"its spec has the fields {sorted(fields)}, not those of this uptake")
    return Spec(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def loads(blob: bytes) -> FittedModel:
    """The fitted model stored by :func:`dumps`; :class:`FitRefused` (saying why) for
    anything else, before any of its objects is built."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    blob = bytes(blob)
    if blob.startswith(_PICKLE_PROTOCOL_2_PLUS):
        raise FitRefused(
            "it is a pickle (as uptake stored fits before skops, or a payload put there); "
            "a pickle is never loaded, because loading one runs any code written into it"
        )
    if not zipfile.is_zipfile(io.BytesIO(blob)):
        raise FitRefused("it is not a skops file (changed or cut)")
    try:
        with _LOADING:
            payload = sio.loads(blob, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as error:
        raise FitRefused(f"it holds types that are not trusted: {error}") from None
    except _UNREADABLE as error:  # a damaged zip, array or state: never trusted either
        raise FitRefused(f"it cannot be read ({type(error).__name__}: {error})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FitRefused(f"it is not a fit stored as {FORMAT}")
    if payload["pipeline"] is not None and not isinstance(payload["pipeline"], Pipeline):
        raise FitRefused(f"its model is a {type(payload['pipeline']).__name__}, not a Pipeline")
    metrics = dict(payload["metrics"])
    for key in payload["timestamp_metrics"]:
        metrics[key] = pd.NaT if metrics[key] is None else pd.Timestamp(metrics[key])
    return FittedModel(
        payload["model_name"],
        payload["model_version"],
        payload["group_value"],
        payload["pipeline"],
        metrics,
        explanations=payload["explanations"],
        calibration=payload["calibration"],
        spec=_spec(payload["spec"]),
    )
