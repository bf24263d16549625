"""Statistical tests behind the behaviour-difference marts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


def _covariance_from_sums(
    gram: np.ndarray, size_counts: np.ndarray, counts: np.ndarray, size_squares: float, m: int
) -> np.ndarray:
    """_cluster_covariance from sums over the clusters instead of the clusters
    themselves: ``gram`` (sum of c c^T), ``size_counts`` (sum of size x c), ``counts``
    (sum of c), ``size_squares`` (sum of size^2) and ``m`` clusters. The residuals'
    cross-product, sum of (c - size p)(c - size p)^T, expanded. The sums of the clusters
    outside a group are the totals less the group's, so the test of every group costs
    its own clusters only (equal to _cluster_covariance up to float rounding)."""
    total = counts.sum()
    shares = counts / total
    cross = np.outer(size_counts, shares)
    residuals = gram - cross - cross.T + size_squares * np.outer(shares, shares)
    return residuals * (m / max(m - 1, 1)) / total**2


def rao_scott(
    inside: np.ndarray,
    outside: np.ndarray,
    *,
    clustered: bool = True,
    outside_covariance: np.ndarray | None = None,
) -> dict:
    """First-order Rao-Scott test that two cluster samples share one distribution over
    categories. inside and outside are clusters x categories counts (every category
    seen in one of them). Pearson's X^2 of the 2 x k table is divided by the mean
    generalised design effect: the mean eigenvalue of S^-1 V, where V is the cluster
    covariance of the difference of the two samples' proportions and S its multinomial
    covariance under the null (independent views), over k - 1 categories. Views that
    all come from different clusters give a design effect near 1; clustered=False takes
    it as exactly 1 (the plain Pearson test). With ``outside_covariance`` (the outside
    sample's cluster covariance, e.g. from _covariance_from_sums), ``outside`` may be its
    category totals alone (one row)."""
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
        if outside_covariance is None:
            outside_covariance = _cluster_covariance(outside)
        design_cov = _cluster_covariance(inside)[keep, keep] + outside_covariance[keep, keep]
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


def cluster_category_counts(
    counts: pd.DataFrame,
    group_column: str,
    cluster_column: str,
    category_column: str,
    count_column: str,
) -> pd.DataFrame:
    """The per-cluster table that distribution_differences tests, from counts already
    aggregated (one row per group, cluster and category with its number of rows, e.g.
    from a SQL ``group by``): indexed by (group, cluster), one column per category,
    both sorted. Rows with a missing group, cluster or category are left out, and
    categories and clusters are compared as text, as in distribution_differences: an
    aggregate that keeps the missing keys (``group by`` does) has the dtypes of the
    rows it counts, so the categories are spelled the same."""
    data = counts[[group_column, cluster_column, category_column, count_column]].dropna(
        subset=[group_column, cluster_column, category_column]
    )
    group_codes, groups = pd.factorize(data[group_column], sort=True)
    cluster, cluster_codes = _text_codes(data[cluster_column])
    category, category_codes = _text_codes(data[category_column])
    # one row per (group, cluster) present, in sorted order (as a crosstab's)
    pairs, row = np.unique(
        group_codes.astype("int64") * len(cluster) + cluster_codes, return_inverse=True
    )
    cells = np.bincount(
        row.reshape(-1) * len(category) + category_codes,
        weights=data[count_column].to_numpy(dtype="float64"),
        minlength=len(pairs) * len(category),
    )
    index = pd.MultiIndex(
        levels=[groups, cluster],
        codes=[pairs // len(cluster), pairs % len(cluster)],
        names=[group_column, "_cluster"],
    )
    return pd.DataFrame(
        cells.reshape(len(pairs), len(category)).astype("int64"),
        index=index,
        columns=pd.Index(category, name="_category"),
    )


def _text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """values as text (astype(str), converted once per distinct value) and each value's
    code in that text's sorted distinct values."""
    codes, distinct_values = pd.factorize(values)
    text = pd.Series(distinct_values).astype(str).to_numpy(dtype=object)
    distinct, inverse = np.unique(text, return_inverse=True)
    return distinct, inverse.reshape(-1)[codes]


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

    The tests themselves are those of cluster_distribution_differences, on the
    per-cluster table of each dimension (its crosstab).
    """
    per_cluster = {}
    for dimension in dimensions:
        columns = [group_column, dimension] + ([cluster_column] if cluster_column else [])
        data = frame[columns].dropna().copy()
        data["_category"] = data[dimension].astype(str)
        if cluster_column:
            data["_cluster"] = data[cluster_column].astype(str)
        else:
            data["_cluster"] = np.arange(len(data))
        per_cluster[dimension] = pd.crosstab(
            [data[group_column], data["_cluster"]], data["_category"]
        )
    return cluster_distribution_differences(
        per_cluster,
        clustered=cluster_column is not None,
        alpha=alpha,
        min_effect_size=min_effect_size,
    )


def cluster_distribution_differences(
    per_cluster: Mapping[str, pd.DataFrame],
    *,
    clustered: bool = True,
    alpha: float = 0.01,
    min_effect_size: float = 0.1,
) -> pd.DataFrame:
    """distribution_differences from each dimension's per-cluster table (dimension ->
    rows per (group, cluster), sorted, one column per category, as from
    cluster_category_counts), so that the rows can be counted where they live (SQL)
    instead of in a frame. clustered=False takes each row of a table as its own
    cluster's (the plain Pearson test)."""
    rows = []
    for dimension, table in per_cluster.items():
        if not table.index.is_monotonic_increasing:
            table = table.sort_index()
        matrix = table.to_numpy(dtype=float)
        groups = table.index.get_level_values(0)
        # the (group, cluster) index is sorted: each group's clusters are one slice
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(groups) else []
        ends = np.r_[starts[1:], len(groups)] if len(groups) else []
        all_counts = matrix.sum(axis=0)
        # Sums over all clusters; a group's outside is these less its own clusters'.
        sizes = matrix.sum(axis=1)
        all_gram, all_size_counts = matrix.T @ matrix, sizes @ matrix
        all_size_squares = float(sizes @ sizes)
        for start, end in zip(starts, ends, strict=True):
            group = groups[start]
            inside_all = matrix[start:end]
            inside = inside_all.sum(axis=0)
            outside = all_counts - inside
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
            inside_sizes = sizes[start:end]
            outside_covariance = _covariance_from_sums(
                all_gram - inside_all.T @ inside_all,
                all_size_counts - inside_sizes @ inside_all,
                outside,
                all_size_squares - float(inside_sizes @ inside_sizes),
                len(matrix) - (end - start),
            )
            test = rao_scott(
                inside_all[:, keep],
                outside[keep][np.newaxis],
                clustered=clustered,
                outside_covariance=outside_covariance[np.ix_(keep, keep)],
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
