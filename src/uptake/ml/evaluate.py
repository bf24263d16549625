"""How good a fitted classifier is on its test rows: ROC AUC with paired bootstrap
intervals (the model's, the baseline's and the gain over it), precision-recall AUC, log
loss, Brier score, calibration in the large, the calibration slope and a reliability
table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from uptake.ml.spec import Settings, Spec

# Bins of the reliability table (equal numbers of test rows, by predicted probability).
CALIBRATION_BINS = 10


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC, or NaN when the rows hold one outcome only."""
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, score))


def weighted_auc(y: np.ndarray, order: np.ndarray, ties: np.ndarray, weights: np.ndarray):
    """ROC AUC with row weights (bootstrap counts), given the rows sorted by score
    (``order``) and each sorted row's tie group (``ties``): positives' weight times the
    negatives' weight ranked below them (half at equal scores), over both totals."""
    w = weights[order]
    positive = np.bincount(ties, w * y[order])
    negative = np.bincount(ties, w * (1 - y[order]))
    total = positive.sum() * negative.sum()
    if total == 0:
        return np.nan
    below = np.cumsum(negative) - negative
    return float(np.sum(positive * (below + 0.5 * negative)) / total)


def paired_auc_bootstrap(
    y: np.ndarray, scores: list[np.ndarray], samples: int, seed: int
) -> np.ndarray:
    """The ROC AUC of each score on ``samples`` bootstrap resamples of the rows, the same
    resamples for every score (paired: differences keep their correlation). One row per
    resample in which both outcomes occur, one column per score; each resample is one
    weighted pass over the rows (sorted once)."""
    y = np.asarray(y, dtype=float)
    sorted_scores = []
    for score in scores:
        order = np.argsort(score, kind="stable")
        ordered = np.asarray(score, dtype=float)[order]
        ties = np.concatenate([[0], np.cumsum(ordered[1:] != ordered[:-1])]).astype(int)
        sorted_scores.append((order, ties))
    rng = np.random.default_rng(seed)
    n = len(y)
    draws = []
    for _ in range(samples if n else 0):
        weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        positives = float(np.sum(weights * y))
        if positives == 0 or positives == weights.sum():
            continue
        draws.append([weighted_auc(y, o, t, weights) for o, t in sorted_scores])
    return np.array(draws).reshape(-1, len(scores))


def percentile_interval(values: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval (2.5th and 97.5th percentiles); NaN without values."""
    if not len(values):
        return float("nan"), float("nan")
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def auc_intervals(
    y: np.ndarray, probability: np.ndarray, baseline: np.ndarray, settings: Settings
) -> dict:
    """95% paired-bootstrap percentile intervals of the model's ROC AUC, the baseline's,
    and the gain (model - baseline), over the test rows (a seeded sample of at most
    max_eval_rows of them)."""
    rows = np.arange(len(y))
    if len(rows) > settings.max_eval_rows:
        rng = np.random.default_rng(settings.seed)
        rows = np.sort(rng.choice(len(y), settings.max_eval_rows, replace=False))
    draws = paired_auc_bootstrap(
        y[rows], [probability[rows], baseline[rows]], settings.auc_bootstrap_samples, settings.seed
    )
    model_low, model_high = percentile_interval(draws[:, 0])
    base_low, base_high = percentile_interval(draws[:, 1])
    gain_low, gain_high = percentile_interval(draws[:, 0] - draws[:, 1])
    return {
        "roc_auc_low": model_low,
        "roc_auc_high": model_high,
        "baseline_roc_auc_low": base_low,
        "baseline_roc_auc_high": base_high,
        "roc_auc_gain_low": gain_low,
        "roc_auc_gain_high": gain_high,
        "auc_bootstrap_samples": len(draws),
        "auc_bootstrap_rows": len(rows),
    }


def _logit(probability: np.ndarray) -> np.ndarray:
    p = np.clip(probability, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def calibration(y: np.ndarray, probability: np.ndarray) -> dict:
    """Calibration of probabilities on labelled rows. In the large: the intercept a of
    logit P(y) = a + logit(p) (0 when the mean probability matches the outcome rate;
    above 0 when the model predicts too low). Slope: b of logit P(y) = c + b logit(p)
    (1 when the spread is right; below 1 when probabilities are too extreme)."""
    if len(np.unique(y)) < 2:
        return {"mean_probability": float(np.mean(probability)) if len(y) else np.nan}
    z = _logit(probability)
    intercept = 0.0
    for _ in range(50):  # Newton steps for the intercept with logit(p) as offset
        fitted = 1 / (1 + np.exp(-(intercept + z)))
        step = np.sum(y - fitted) / max(np.sum(fitted * (1 - fitted)), 1e-12)
        intercept += step
        if abs(step) < 1e-10:
            break
    slope = LogisticRegression(penalty=None, max_iter=1000).fit(z.reshape(-1, 1), y)
    return {
        "mean_probability": float(np.mean(probability)),
        "calibration_in_the_large": float(intercept),
        "calibration_slope": float(slope.coef_[0][0]),
    }


def reliability_bins(y: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS):
    """The reliability table: test rows in ``bins`` bins of (nearly) equal size by
    predicted probability; per bin its probability range, mean probability, observed
    rate and that rate's 95% Wilson interval."""
    n = len(y)
    if not n:
        return []
    ranks = pd.Series(probability).rank(method="first").to_numpy()
    which = np.ceil(ranks / n * bins).astype(int).clip(1, bins)
    rows = []
    for b in range(1, bins + 1):
        inside = which == b
        m = int(inside.sum())
        if not m:
            continue
        k = int(y[inside].sum())
        rate, z = k / m, 1.959964
        centre = (rate + z * z / (2 * m)) / (1 + z * z / m)
        half = z * np.sqrt(rate * (1 - rate) / m + z * z / (4 * m * m)) / (1 + z * z / m)
        rows.append(
            {
                "bin": b,
                "rows": m,
                "positives": k,
                "probability_min": float(probability[inside].min()),
                "probability_max": float(probability[inside].max()),
                "mean_probability": float(probability[inside].mean()),
                "observed_rate": rate,
                "observed_rate_low": float(max(0.0, centre - half)),
                "observed_rate_high": float(min(1.0, centre + half)),
            }
        )
    return rows


def baseline_score(train: pd.DataFrame, test: pd.DataFrame, spec: Spec) -> np.ndarray:
    """The baseline's score on the test rows: the baseline column (its ties broken by
    baseline_tiebreak, where the spec has one), a missing value read as the training
    rows' mean (0 without a baseline: every row tied)."""
    if not spec.baseline:
        return np.zeros(len(test))

    def column(name: str) -> pd.Series:
        fill = pd.to_numeric(train[name]).astype(float).mean()
        values = pd.to_numeric(test[name]).astype(float)
        return values.fillna(0.0 if pd.isna(fill) else fill)

    score = column(spec.baseline)
    if spec.baseline_tiebreak and len(test):
        first = score.rank(method="dense")
        then = column(spec.baseline_tiebreak).rank(method="dense")
        score = first * (then.max() + 1) + then
    return score.to_numpy()


def held_out_metrics(
    y_test: np.ndarray,
    probability: np.ndarray,
    baseline: np.ndarray,
    baseline_roc_auc: float,
    settings: Settings,
) -> dict:
    """Every held-out measure of a fitted model's test probabilities (``baseline``: the
    baseline's scores of the same rows)."""
    roc_auc = auc(y_test, probability)
    return {
        "roc_auc": roc_auc,
        "roc_auc_gain": roc_auc - baseline_roc_auc,
        **auc_intervals(y_test, probability, baseline, settings),
        "pr_auc": float(average_precision_score(y_test, probability)),
        "log_loss": float(log_loss(y_test, probability, labels=[0, 1])),
        "brier_score": float(brier_score_loss(y_test, probability)),
        **calibration(y_test, probability),
    }
