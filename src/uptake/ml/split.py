"""Which rows train and which test: by time, with an embargo, in bounded samples.

The split is by time: the earliest ``1 - test_fraction`` of the labelled rows (by
``spec.time_column``) train, the latest ones test, and a training row keeps its label
only when its horizon (``spec.horizon_end``) ends before the test period starts (an
embargo). Cross-validation on the training rows runs in expanding windows in time order
(:func:`time_folds`), with the same embargo. Beyond ``max_train_rows`` training rows a
seeded random sample fits (:func:`sample_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from uptake.ml.spec import Settings, Spec, labels


def sample_rows(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """The frame itself when it has at most max_rows rows, else a seeded random sample
    of max_rows rows, kept in the frame's order (positions, not index labels, so that
    the same rows in the same order give the same sample)."""
    if len(frame) <= max_rows:
        return frame
    positions = np.random.default_rng(seed).choice(len(frame), max_rows, replace=False)
    return frame.iloc[np.sort(positions)]


def time_split(frame: pd.DataFrame, time_column: str, test_fraction: float):
    """Earlier rows train, later rows test; rows of one time value stay together."""
    times = pd.to_datetime(frame[time_column])
    boundary = times.quantile(1 - test_fraction) if len(times) else pd.NaT
    train = frame[times < boundary]
    test = frame[times >= boundary]
    return train, test


def embargoed(train: pd.DataFrame, spec: Spec, boundary) -> pd.Series:
    """Which training rows keep their label: those whose horizon ends before the test
    period starts (``boundary``), so that no training label is observed in the test
    period. All of them when the spec has no horizon_end."""
    if not spec.horizon_end or not len(train):
        return pd.Series(True, index=train.index)
    return pd.to_datetime(train[spec.horizon_end]) < boundary


@dataclass(frozen=True)
class GroupSplit:
    """The rows of one group (e.g. one cut-off) as a fit uses them."""

    scorable: pd.DataFrame  # every row whose outcome was not known beforehand
    labelled: pd.DataFrame  # those of them with a label
    train: pd.DataFrame  # the earlier labelled rows, settled, sampled to max_train_rows
    test: pd.DataFrame  # the later labelled rows
    explained: pd.DataFrame  # test rows that permutation importances re-predict
    rows_available: int  # training rows before the sample
    embargo_rows: int  # earlier rows left out because their label was not settled


def split_group(frame: pd.DataFrame, spec: Spec, settings: Settings) -> GroupSplit:
    """Split one group's feature rows: rows known beforehand out, the labelled rest by
    time (:func:`time_split`), the embargo (:func:`embargoed`), then the samples."""
    known = frame[spec.known].astype(bool) if spec.known else pd.Series(False, frame.index)
    scorable = frame[~known]
    labelled = scorable[scorable[spec.label].notna()]
    train, test = time_split(labelled, spec.time_column, settings.test_fraction)
    # Embargo: a training row's label must be settled before the test period starts.
    settled = embargoed(train, spec, pd.to_datetime(test[spec.time_column]).min())
    train = train[settled]
    return GroupSplit(
        scorable=scorable,
        labelled=labelled,
        train=sample_rows(train, settings.max_train_rows, settings.seed),
        test=test,
        # Permutation importances re-predict the test rows features x repeats times.
        explained=sample_rows(test, settings.max_importance_rows, settings.seed),
        rows_available=len(train),
        embargo_rows=int((~settled).sum()),
    )


def _unlabelled_rows(frame: pd.DataFrame, spec: Spec) -> dict:
    """Unlabelled rows as open (censored) and unknown (observable, outcome not in the data)."""
    if not spec.censored:
        return {}
    unlabelled = frame[spec.label].isna()
    censored = frame[spec.censored].fillna(False).astype(bool)
    return {
        "open_rows": int((unlabelled & censored).sum()),
        "unknown_label_rows": int((unlabelled & ~censored).sum()),
    }


def split_metrics(split: GroupSplit, spec: Spec, settings: Settings) -> dict:
    """What the metrics tables say about the rows of a fit, fitted or not."""
    y_train, y_test = labels(split.train, spec), labels(split.test, spec)
    train_times = pd.to_datetime(split.train[spec.time_column])
    test_times = pd.to_datetime(split.test[spec.time_column])
    return {
        "rows_available": split.rows_available,
        "rows_trained_on": len(split.train),
        "embargo_rows": split.embargo_rows,
        "test_rows": len(split.test),
        "scorable_rows": len(split.scorable),
        "unlabelled_rows": len(split.scorable) - len(split.labelled),
        **_unlabelled_rows(split.scorable, spec),
        "train_start": train_times.min(),
        "train_end": train_times.max(),
        "test_start": test_times.min(),
        "test_end": test_times.max(),
        "base_rate": float(y_test.mean()) if len(y_test) else float("nan"),
        "train_base_rate": float(y_train.mean()) if len(y_train) else float("nan"),
        "max_train_rows": settings.max_train_rows,
        "importance_rows": len(split.explained),
    }


def time_folds(frame: pd.DataFrame, spec: Spec, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds over the rows in time order: the time range is cut at
    quantiles into folds + 1 blocks (rows of one time value stay together); fold k tests
    block k + 1 and trains on the earlier rows whose horizon ended before that block
    starts (the same embargo as the test split). Positions into ``frame``; a fold whose
    training or test rows lack an outcome is left out."""
    if not len(frame):
        return []
    times = pd.to_datetime(frame[spec.time_column]).reset_index(drop=True)
    y = labels(frame, spec)
    edges = [times.quantile(q) for q in np.linspace(0, 1, folds + 2)[1:-1]]
    result = []
    for k, start in enumerate(edges):
        end = edges[k + 1] if k + 1 < len(edges) else None
        test = (times >= start) & (times < end if end is not None else True)
        train = (times < start) & embargoed(frame, spec, start).to_numpy()
        train_rows, test_rows = np.flatnonzero(train), np.flatnonzero(test)
        if len(np.unique(y[train_rows])) == 2 and len(np.unique(y[test_rows])) == 2:
            result.append((train_rows, test_rows))
    return result


def training_shortfall(y_train: np.ndarray, folds: int) -> str | None:
    """Why these training labels cannot be fitted with cross-validation in ``folds``
    stratified folds, or None: every fold's training part needs both outcomes (at least
    2 rows of each), and the splitter needs ``folds`` rows of one outcome."""
    with_outcome = int(np.sum(y_train == 1))
    without = len(y_train) - with_outcome
    if min(with_outcome, without) < 2 or max(with_outcome, without) < folds:
        return (
            f"too few training rows ({with_outcome} with the outcome, {without} without; "
            f"{folds}-fold cross-validation needs 2 of each and {folds} of one)"
        )
    return None


def unfit_reason(y_train: np.ndarray, y_test: np.ndarray, folds: int) -> str | None:
    """Why a classifier cannot be fitted and tested on these labels, or None when it can:
    see :func:`training_shortfall`; the test rows need both outcomes for a ROC AUC."""
    if len(y_train) + len(y_test) == 0:
        return "not fitted: no rows with a known outcome"
    shortfall = training_shortfall(y_train, folds)
    if shortfall:
        return f"not fitted: {shortfall}"
    if len(np.unique(y_test)) < 2:
        return f"not fitted: the {len(y_test)} test rows hold one outcome only"
    return None
