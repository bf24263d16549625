"""Explanations a reader can take coefficient by coefficient.

The scoring models (:mod:`uptake.ml`) are chosen to rank well: an L1 logistic regression
splits the weight of duplicated features among them arbitrarily, and a percentile
bootstrap of its coefficients is not valid at or near zero. So the odds ratios of the
``*_explanations`` tables come from a separate model, fitted only to be read
(:data:`EXPLAINED`):

- the same feature table's labelled rows (train and test; at most ``max_train_rows``, a
  seeded sample), at the same cut-off;
- a de-duplicated design: a column that is constant, or equal or perfectly correlated
  (abs(r) >= :data:`ALIAS_R`) with an earlier one, or a linear combination of earlier
  ones (R² >= :data:`ALIAS_R`), is dropped, and a row with measure ``dropped`` says why;
- every categorical one-hot with a named reference level (:data:`PREFERRED_REFERENCE`
  when present, else the most frequent level); levels with fewer than
  :data:`MIN_LEVEL_ROWS` rows, or fewer than :data:`MIN_LEVEL_OUTCOMES` of either outcome,
  pooled into ``other``;
- numeric features standardised (odds ratio per standard deviation, from the mean),
  missing values set to the median with an "is missing" indicator; booleans 0/1;
- an unpenalised logistic regression fitted by Newton's method (a ridge of :data:`RIDGE`
  keeps a separated column finite; it is negligible otherwise), with Wald 95% intervals
  from the inverse of the Fisher information X'WX at that fit.

Permutation importances (of the scoring families) shuffle groups of aliased features
together (:func:`aliased_groups`: categoricals that map one to one, numerics that are
equal or perfectly correlated), so that copies do not share out the credit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

if TYPE_CHECKING:  # pragma: no cover
    from uptake.ml.spec import Spec

EXPLAINED = "logistic_regression_explained"
# |r| (or R² on the earlier columns) from which a column counts as a copy of earlier ones.
ALIAS_R = 0.999
# Categorical levels with fewer rows, or fewer rows of either outcome, pool into "other".
MIN_LEVEL_ROWS = 20
MIN_LEVEL_OUTCOMES = 5
OTHER = "other"
# The level a reader compares with, when the data has it: the plain sign-up, the web
# channel, the monthly plan. Otherwise the most frequent level is the reference.
PREFERRED_REFERENCE = {"creation_source": "SIGNUP", "share_channel": "WEB", "plan": "monthly"}
# Ridge on the log-likelihood (not per row): keeps a column that separates the outcome
# finite; next to the information of even a hundred rows it moves nothing.
RIDGE = 1e-3
Z95 = 1.959963984540054
# Beyond this |log-odds| or standard error a coefficient is not estimable from the data
# (separation): its row says so.
UNSTABLE = 10.0
# Features that are states at export time, not at the cut-off (the export keeps no
# history): their explanations assume the state was set at signup and never changed.
SNAPSHOT_NOTE = (
    "export-time state, assumed unchanged since signup (the users export keeps no history)"
)
SNAPSHOT_FEATURES = {
    "is_opted_in_to_mailing_list": SNAPSHOT_NOTE,
    "is_enabled_for_marketing_drip": SNAPSHOT_NOTE,
    "org_members_before_cutoff": "org_id as exported; " + SNAPSHOT_NOTE,
    "org_adoption_rate_before_cutoff": "org_id as exported; " + SNAPSHOT_NOTE,
}


# --- the design ------------------------------------------------------------------------


def reference_level(values: pd.Series, column: str) -> str | None:
    """The reference level of a categorical: the preferred one when present, else the
    most frequent (ties: the first in sort order). None for no rows."""
    counts = values.value_counts()
    if not len(counts):
        return None
    preferred = PREFERRED_REFERENCE.get(column)
    if preferred is not None and preferred in counts.index:
        return preferred
    top = counts[counts == counts.max()]
    return str(sorted(top.index)[0])


def _pooled(values: pd.Series, y: np.ndarray) -> pd.Series:
    """Levels with too few rows, or too few of either outcome, pooled into OTHER."""
    table = pd.crosstab(values, y)
    for outcome in (0, 1):
        if outcome not in table:
            table[outcome] = 0
    rows = table.sum(axis=1)
    rare = table.index[(rows < MIN_LEVEL_ROWS) | (table[[0, 1]].min(axis=1) < MIN_LEVEL_OUTCOMES)]
    return values.where(~values.isin(rare), OTHER)


def design(x: pd.DataFrame, y: np.ndarray, spec: Spec) -> tuple[pd.DataFrame, dict]:
    """The columns the explanation model can fit (before de-duplication), and for each
    column its feature, reference, unit and note. ``x`` is ``uptake.ml.prepare``'d."""
    columns: dict[str, np.ndarray] = {}
    about: dict[str, dict] = {}
    for feature in spec.categorical:
        values = _pooled(x[feature].astype(str), y)
        reference = reference_level(values, feature)
        pooled = sorted(set(x[feature].astype(str)) - set(values))
        for level in sorted(values.unique()):
            if level == reference:
                continue
            name = f"{feature} = {level}"
            columns[name] = (values == level).to_numpy(float)
            note = f"pooled levels: {', '.join(pooled)}" if level == OTHER else None
            about[name] = {
                "source": feature,
                "reference": f"{feature} = {reference}",
                "unit": f"{feature} = {level} vs {reference}",
                "note": note,
            }
    for feature in spec.numeric:
        values = x[feature].astype(float)
        missing = values.isna().to_numpy()
        if missing.all():
            columns[feature] = np.zeros(len(values))  # constant: dropped below
            about[feature] = {"source": feature, "reference": None, "unit": None}
            continue
        filled = values.fillna(values.median()).to_numpy()
        mean, sd = float(filled.mean()), float(filled.std())
        columns[feature] = (filled - mean) / sd if sd > 0 else np.zeros(len(filled))
        about[feature] = {
            "source": feature,
            "reference": f"the mean ({mean:.3g})",
            "unit": f"per standard deviation ({sd:.3g})",
        }
        if missing.any():
            name = f"{feature} is missing"
            columns[name] = missing.astype(float)
            about[name] = {
                "source": feature,
                "reference": f"{feature} observed",
                "unit": "missing (set to the median) vs observed",
            }
    for feature in spec.binary:
        columns[feature] = x[feature].astype(float).to_numpy()
        about[feature] = {
            "source": feature,
            "reference": f"{feature} = false",
            "unit": "true vs false",
        }
    for info in about.values():
        snapshot = SNAPSHOT_FEATURES.get(info["source"])
        if snapshot:
            info["note"] = "; ".join(filter(None, [info.get("note"), snapshot]))
    return pd.DataFrame(columns, index=x.index), about


def deduplicate(columns: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """The columns kept, in order, and why each other one was dropped: constant, equal
    to an earlier kept column, perfectly correlated with one (abs(r) >= ALIAS_R), or a
    linear combination of the earlier kept ones (R² >= ALIAS_R)."""
    kept: list[str] = []
    dropped: dict[str, str] = {}
    values = columns.to_numpy(float)
    centred = values - values.mean(axis=0) if len(values) else values
    norms = np.sqrt((centred**2).sum(axis=0)) if len(values) else np.zeros(values.shape[1])
    for j, name in enumerate(columns.columns):
        if len(values) == 0 or norms[j] <= 1e-9 * max(1.0, np.abs(values[:, j]).max()):
            first = values[0, j] if len(values) else float("nan")
            dropped[name] = f"constant at this fit (every row {first:g})"
            continue
        reason = None
        for k in kept:
            i = columns.columns.get_loc(k)
            if np.array_equal(values[:, j], values[:, i]):
                reason = f"equal to {k} on every row"
                break
            r = float(centred[:, j] @ centred[:, i] / (norms[j] * norms[i]))
            if abs(r) >= ALIAS_R:
                reason = f"perfectly correlated with {k} (r = {r:.4f})"
                break
        if reason is None and kept:
            basis = centred[:, [columns.columns.get_loc(k) for k in kept]]
            coef, *_ = np.linalg.lstsq(basis, centred[:, j], rcond=None)
            residual = centred[:, j] - basis @ coef
            r2 = 1 - float(residual @ residual) / float(norms[j] ** 2)
            if r2 >= ALIAS_R:
                # Name the earlier columns that carry the combination (largest first).
                weight = np.abs(coef) * np.sqrt((basis**2).sum(axis=0)) / norms[j]
                order = [i for i in np.argsort(-weight) if weight[i] >= 0.01]
                named = ", ".join(kept[i] for i in order[:4])
                more = f" and {len(order) - 4} more" if len(order) > 4 else ""
                reason = f"a linear combination of {named}{more} (R² = {r2:.4f})"
        if reason:
            dropped[name] = reason
        else:
            kept.append(name)
    return kept, dropped


# --- the fit ---------------------------------------------------------------------------


def _objective(x, y, beta, penalty):
    eta = x @ beta
    return float(np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 * np.sum(penalty * beta**2))


def logistic_fit(
    x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Maximum likelihood logistic regression by Newton's method with step halving: the
    coefficients (first column: the intercept, which ``x`` must hold), their covariance
    (the inverse of the Fisher information X'WX, plus the ridge, at the fit) and whether
    it converged. The ridge does not touch the intercept."""
    p = x.shape[1]
    penalty = np.full(p, ridge)
    penalty[0] = 0.0
    beta = np.zeros(p)
    rate = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
    beta[0] = np.log(rate / (1 - rate))
    objective = _objective(x, y, beta, penalty)
    converged = False
    for _ in range(max_iter):
        probability = 1 / (1 + np.exp(-(x @ beta)))
        gradient = x.T @ (probability - y) + penalty * beta
        information = (x.T * (probability * (1 - probability))) @ x + np.diag(penalty)
        step = np.linalg.lstsq(information, gradient, rcond=None)[0]
        size = 1.0
        while True:
            candidate = beta - size * step
            value = _objective(x, y, candidate, penalty)
            if value <= objective + 1e-10 or size < 1e-6:
                break
            size /= 2
        beta, change = candidate, objective - value
        objective = value
        if np.max(np.abs(size * step)) < 1e-8 or abs(change) < 1e-10 * (1 + abs(objective)):
            converged = True
            break
    probability = 1 / (1 + np.exp(-(x @ beta)))
    information = (x.T * (probability * (1 - probability))) @ x + np.diag(penalty)
    return beta, np.linalg.pinv(information), converged


def explained_fit(x: pd.DataFrame, y: np.ndarray, spec: Spec) -> list[dict]:
    """The explanation model's rows: one ``coefficient`` row per kept column (log-odds,
    its standard error in ``std``, odds ratio with a Wald 95% interval, its reference
    and unit) and one ``dropped`` row per column left out (``note`` says why). All rows
    carry ``model_name`` :data:`EXPLAINED` and ``fitted_rows``. ``x`` is
    ``uptake.ml.prepare``'d; no rows, or one outcome only, gives no rows."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0 or len(np.unique(y)) < 2:
        return []
    columns, about = design(x, y, spec)
    kept, dropped = deduplicate(columns)
    matrix = np.column_stack([np.ones(len(y)), columns[kept].to_numpy(float)])
    beta, covariance, converged = logistic_fit(matrix, y)
    errors = np.sqrt(np.clip(np.diag(covariance), 0, None))
    common = {"model_name": EXPLAINED, "fitted_rows": len(y)}
    rows = []
    for j, name in enumerate(kept, start=1):
        info = about[name]
        coefficient, error = float(beta[j]), float(errors[j])
        notes = [info.get("note")]
        if not converged:
            notes.append("the fit did not converge")
        if abs(coefficient) > UNSTABLE or error > UNSTABLE:
            notes.append("not estimable: the outcome (nearly) separates on this column")
        rows.append(
            {
                **common,
                "feature": name,
                "measure": "coefficient",
                "value": coefficient,
                "std": error,
                "odds_ratio": float(np.exp(coefficient)),
                "odds_ratio_low": float(np.exp(coefficient - Z95 * error)),
                "odds_ratio_high": float(np.exp(coefficient + Z95 * error)),
                "reference": info["reference"],
                "unit": info["unit"],
                "note": "; ".join(filter(None, notes)) or None,
            }
        )
    for name, reason in dropped.items():
        info = about[name]
        rows.append(
            {
                **common,
                "feature": name,
                "measure": "dropped",
                "reference": info["reference"],
                "unit": info["unit"],
                "note": reason,
            }
        )
    return rows


# --- permutation importances -------------------------------------------------------------


def _one_to_one(a: pd.Series, b: pd.Series) -> bool:
    pairs = pd.DataFrame({"a": a.to_numpy(), "b": b.to_numpy()}).drop_duplicates()
    return bool(pairs["a"].is_unique and pairs["b"].is_unique)


def _aliased_numbers(a: pd.Series, b: pd.Series) -> bool:
    a, b = a.astype(float), b.astype(float)
    if a.equals(b):
        return True
    if a.isna().to_numpy().tolist() != b.isna().to_numpy().tolist():
        return False
    both = a.notna()
    if both.sum() < 2 or a[both].std() == 0 or b[both].std() == 0:
        return False
    return bool(abs(np.corrcoef(a[both], b[both])[0, 1]) >= ALIAS_R)


def aliased_groups(x: pd.DataFrame, spec: Spec) -> list[list[str]]:
    """The spec's features in groups to permute together, in the spec's order: two
    categoricals whose levels map one to one (customer and industry), or two numeric or
    boolean features that are equal or perfectly correlated (abs(r) >= ALIAS_R, the same
    rows missing), on these rows. Every other feature is a group of its own."""
    features = spec.features
    parent = {f: f for f in features}

    def root(f: str) -> str:
        while parent[f] != f:
            f = parent[f]
        return f

    numbers = [*spec.numeric, *spec.binary]
    for i, a in enumerate(features):
        for b in features[i + 1 :]:
            if root(a) == root(b) or not len(x):
                continue
            if a in spec.categorical and b in spec.categorical:
                linked = _one_to_one(x[a], x[b])
            elif a in numbers and b in numbers:
                linked = _aliased_numbers(x[a], x[b])
            else:
                linked = False
            if linked:
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for f in features:
        groups.setdefault(root(f), []).append(f)
    return list(groups.values())


def permutation_importances(
    pipeline,
    x: pd.DataFrame,
    y: np.ndarray,
    groups: Sequence[Sequence[str]],
    *,
    repeats: int = 5,
    seed: int = 0,
) -> list[dict]:
    """The mean drop (and its standard deviation over ``repeats`` shuffles) in ROC AUC on
    these rows when the features of a group are shuffled together (one permutation of
    the rows for the whole group). One row per group, named ``a + b`` for a group."""
    y = np.asarray(y)
    base = roc_auc_score(y, pipeline.predict_proba(x)[:, 1])
    rng = np.random.default_rng(seed)
    rows = []
    for group in groups:
        drops = []
        for _ in range(repeats):
            order = rng.permutation(len(x))
            shuffled = x.copy()
            for feature in group:
                shuffled[feature] = x[feature].to_numpy()[order]
            drops.append(base - roc_auc_score(y, pipeline.predict_proba(shuffled)[:, 1]))
        rows.append(
            {
                "feature": " + ".join(group),
                "measure": "permutation_importance",
                "value": float(np.mean(drops)),
                "std": float(np.std(drops)),
                "note": (
                    f"permuted together (aliased at this fit): {', '.join(group)}"
                    if len(group) > 1
                    else None
                ),
            }
        )
    return rows


# --- per-row factors from a stated reference ---------------------------------------------


def reference_levels(x: pd.DataFrame, spec: Spec) -> dict[str, str]:
    """The reference level of each categorical on these (``uptake.ml.prepare``'d) rows."""
    return {f: reference_level(x[f].astype(str), f) for f in spec.categorical if len(x)}


def contributions(
    pipeline, x: pd.DataFrame, references: Mapping[str, str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Each row's log-odds contributions under a fitted ``ml`` logistic pipeline, each
    measured from a stated reference: a numeric feature from the training mean (the
    scaler centres it), an "is missing" indicator from observed, a boolean from false,
    and a categorical from its reference level (``references[feature]``; without one,
    the level with the median coefficient). A level the encoder has not seen counts as
    the reference. Returns the contributions (rows x output columns) and each column's
    label ("feature = level vs reference" for a category)."""
    prepare, estimator = pipeline.named_steps["prepare"], pipeline.named_steps["model"]
    labels = [str(n) for n in prepare.get_feature_names_out()]
    coefficients = np.asarray(estimator.coef_[0], dtype=float)
    transformed = np.asarray(prepare.transform(x), dtype=float)
    values = transformed * coefficients
    references = dict(references or {})
    # The scaler centres an "is missing" indicator on its training share: count it
    # from observed (0) instead.
    numeric = prepare.output_indices_.get("numeric", slice(0, 0))
    if numeric.stop > numeric.start:
        scaler = prepare.named_transformers_["numeric"].named_steps["scale"]
        for k, j in enumerate(range(numeric.start, numeric.stop)):
            if labels[j].startswith("missingindicator_"):
                values[:, j] += coefficients[j] * scaler.mean_[k] / scaler.scale_[k]
                labels[j] = labels[j].removeprefix("missingindicator_") + " is missing"
    encoder = prepare.named_transformers_.get("categorical")
    block = prepare.output_indices_.get("categorical", slice(0, 0))
    if encoder is None or block.stop == block.start:
        return values, labels
    infrequent = getattr(encoder, "infrequent_categories_", None) or []
    position = block.start
    for i, feature in enumerate(encoder.feature_names_in_):
        rare = infrequent[i] if i < len(infrequent) and infrequent[i] is not None else []
        levels = [str(c) for c in encoder.categories_[i] if c not in set(rare)]
        levels += ["infrequent"] if len(rare) else []
        columns = list(range(position, position + len(levels)))
        position += len(levels)
        weights = coefficients[columns]
        reference = references.get(feature)
        if reference not in levels:
            reference = levels[int(np.argsort(weights)[(len(weights) - 1) // 2])]
        offset = weights[levels.index(reference)]
        # A row's own level contributes its weight minus the reference level's.
        values[:, columns] -= transformed[:, columns] * offset
        for j, level in zip(columns, levels, strict=True):
            labels[j] = f"{feature} = {level} vs {reference}"
    return values, labels


def top_factors(
    pipeline, x: pd.DataFrame, top: int, references: Mapping[str, str] | None = None
) -> list[str | None]:
    """The ``top`` features that push each row's log-odds up the most, each measured
    from its reference (see :func:`contributions`), as "feature (+0.42)"; None for a
    row that nothing pushes up."""
    values, labels = contributions(pipeline, x, references)
    order = np.argsort(-values, axis=1)[:, :top]
    factors = []
    for row, columns in zip(values, order, strict=True):
        kept = [f"{labels[j]} (+{row[j]:.2f})" for j in columns if row[j] > 0]
        factors.append("; ".join(kept) if kept else None)
    return factors
