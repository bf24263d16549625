"""Statistical tests behind the behaviour-difference marts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from uptake import frames

TEST_NAME = (
    "Rao-Scott (first-order) chi-square test of homogeneity, clusters as sampling units: "
    "group vs all other groups"
)
EFFECT_SIZE_NAME = "total_variation_distance"
COLUMNS = {
    "group_value": "varchar",
    "dimension": "varchar",
    "test_name": "varchar",
    "statistic": "double",
    "uncorrected_statistic": "double",
    "design_effect": "double",
    "degrees_of_freedom": "bigint",
    "p_value": "double",
    "effect_size_name": "varchar",
    "effect_size": "double",
    "observations": "bigint",
    "clusters": "bigint",
    "categories": "bigint",
    "min_expected_count": "double",
    "top_category": "varchar",
    "top_category_share": "double",
    "top_category_pooled_share": "double",
    "is_different": "boolean",
}


def _cluster_covariance(counts: np.ndarray) -> np.ndarray:
    """Covariance of a cluster sample's category proportions (ratio estimator,
    linearised, with-replacement clusters): counts is clusters x categories."""
    sizes = counts.sum(axis=1)
    total = sizes.sum()
    shares = counts.sum(axis=0) / total
    residuals = counts - np.outer(sizes, shares)
    m = len(counts)
    return residuals.T @ residuals * (m / max(m - 1, 1)) / total**2


def rao_scott(inside: np.ndarray, outside: np.ndarray, *, clustered: bool = True) -> dict:
    """First-order Rao-Scott test that two cluster samples share one distribution over
    categories. inside and outside are clusters x categories counts (every category
    seen in one of them). Pearson's X^2 of the 2 x k table is divided by the mean
    generalised design effect: the mean eigenvalue of S^-1 V, where V is the cluster
    covariance of the difference of the two samples' proportions and S its multinomial
    covariance under the null (independent views), over k - 1 categories. Views that
    all come from different clusters give a design effect near 1; clustered=False takes
    it as exactly 1 (the plain Pearson test)."""
    observed = np.vstack([inside.sum(axis=0), outside.sum(axis=0)])
    n_in, n_out = observed.sum(axis=1)
    pooled = observed.sum(axis=0) / observed.sum()
    expected = np.outer([n_in, n_out], pooled)
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    k = observed.shape[1]
    design_effect = 1.0
    if clustered:
        keep = slice(0, k - 1)  # the last category is implied by the others
        p = pooled[keep]
        null_cov = (np.diag(p) - np.outer(p, p)) * (1 / n_in + 1 / n_out)
        design_cov = (
            _cluster_covariance(inside)[keep, keep] + _cluster_covariance(outside)[keep, keep]
        )
        design_effect = float(np.trace(np.linalg.solve(null_cov, design_cov)) / (k - 1))
        design_effect = max(design_effect, np.finfo(float).eps)
    statistic = chi2 / design_effect
    return {
        "statistic": statistic,
        "uncorrected_statistic": chi2,
        "design_effect": design_effect,
        "degrees_of_freedom": k - 1,
        "p_value": float(stats.chi2.sf(statistic, k - 1)),
        "expected": expected,
    }


def distribution_differences(
    frame: pd.DataFrame,
    group_column: str,
    dimensions: Sequence[str],
    *,
    cluster_column: str | None = None,
    alpha: float = 0.01,
    min_effect_size: float = 0.1,
) -> pd.DataFrame:
    """For each group and dimension, test whether the group's distribution over the
    dimension's categories differs from that of all other groups together.

    The rows of a group come in clusters (cluster_column; e.g. a client's views, which
    share the client's device and habits): the test is a first-order Rao-Scott
    chi-square with the clusters as sampling units, so that many rows of one cluster
    count as less evidence than as many independent rows (without cluster_column, each
    row is its own cluster: the plain Pearson test). A cluster belongs to one group
    (cluster ids are taken within the group). The effect size is the total-variation
    distance between the group's category shares and the rest's (half the sum of the
    absolute differences: the share of the group's rows that would have to move to
    another category to look like the rest), which does not grow with the group's
    share of the data. The row also names the category the group over-uses most
    (largest standardised residual). ``is_different`` needs both a p-value below
    ``alpha`` divided by the number of tests (Bonferroni) and an effect size of at
    least ``min_effect_size``, so that a trivial difference in a large export is not
    flagged. A group or dimension with a single category gets no test (NaN).
    """
    rows = []
    for dimension in dimensions:
        columns = [group_column, dimension] + ([cluster_column] if cluster_column else [])
        data = frame[columns].dropna().copy()
        data["_category"] = data[dimension].astype(str)
        if cluster_column:
            data["_cluster"] = data[cluster_column].astype(str)
        else:
            data["_cluster"] = np.arange(len(data))
        per_cluster = pd.crosstab([data[group_column], data["_cluster"]], data["_category"])
        table = per_cluster.groupby(level=0).sum()
        for group in table.index:
            inside_all = per_cluster.xs(group, level=0).to_numpy(dtype=float)
            outside_all = per_cluster.drop(index=group, level=0).to_numpy(dtype=float)
            inside, outside = inside_all.sum(axis=0), outside_all.sum(axis=0)
            keep = (inside + outside) > 0
            categories = table.columns[keep]
            row = {
                "group_value": group,
                "dimension": dimension,
                "test_name": TEST_NAME,
                "effect_size_name": EFFECT_SIZE_NAME,
                "observations": int(inside.sum()),
                "clusters": int(len(inside_all)),
                "categories": int(keep.sum()),
            }
            if keep.sum() < 2 or outside.sum() == 0 or inside.sum() == 0:
                rows.append(row)
                continue
            test = rao_scott(
                inside_all[:, keep], outside_all[:, keep], clustered=cluster_column is not None
            )
            expected = test.pop("expected")
            shares_in, shares_out = inside[keep] / inside.sum(), outside[keep] / outside.sum()
            residuals = (inside[keep] - expected[0]) / np.sqrt(expected[0])
            top = int(np.argmax(residuals))
            row.update(
                test,
                effect_size=float(np.abs(shares_in - shares_out).sum() / 2),
                min_expected_count=float(expected.min()),
                top_category=str(categories[top]),
                top_category_share=float(shares_in[top]),
                top_category_pooled_share=float(shares_out[top]),
            )
            rows.append(row)
    if not rows:
        frames.warn("behaviour differences: no observations to test; no rows")
    result = pd.DataFrame(rows, columns=list(COLUMNS))
    tests = result["p_value"].notna().sum()
    threshold = alpha / max(tests, 1)
    result["is_different"] = (
        (result["p_value"] < threshold) & (result["effect_size"] >= min_effect_size)
    ).astype(bool)
    return frames.typed(result, COLUMNS)
