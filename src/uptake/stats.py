"""Statistical tests behind the behaviour-difference marts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from uptake import frames

TEST_NAME = "chi-square test of homogeneity: group vs all other groups"
EFFECT_SIZE_NAME = "cramers_v"
COLUMNS = {
    "group_value": "varchar",
    "dimension": "varchar",
    "test_name": "varchar",
    "statistic": "double",
    "degrees_of_freedom": "bigint",
    "p_value": "double",
    "effect_size_name": "varchar",
    "effect_size": "double",
    "observations": "bigint",
    "categories": "bigint",
    "min_expected_count": "double",
    "top_category": "varchar",
    "top_category_share": "double",
    "top_category_pooled_share": "double",
    "is_different": "boolean",
}


def distribution_differences(
    frame: pd.DataFrame,
    group_column: str,
    dimensions: Sequence[str],
    *,
    alpha: float = 0.01,
    min_effect_size: float = 0.05,
) -> pd.DataFrame:
    """For each group and dimension, test whether the group's distribution over the
    dimension's categories differs from that of all other groups together.

    One row per group and dimension with a chi-square test of the 2 x k table (group,
    rest) x categories, Cramér's V as the effect size, and the category the group
    over-uses most (largest standardised residual). ``is_different`` needs both a
    p-value below ``alpha`` divided by the number of tests (Bonferroni) and an effect
    size of at least ``min_effect_size``, so that a trivial difference in a large export
    is not flagged. A group or dimension with a single category gets no test (NaN).
    """
    rows = []
    for dimension in dimensions:
        data = frame[[group_column, dimension]].dropna()
        table = pd.crosstab(data[group_column], data[dimension].astype(str))
        for group in table.index:
            inside = table.loc[group].to_numpy(dtype=float)
            outside = table.drop(index=group).sum(axis=0).to_numpy(dtype=float)
            keep = (inside + outside) > 0
            observed = np.vstack([inside[keep], outside[keep]])
            categories = table.columns[keep]
            row = {
                "group_value": group,
                "dimension": dimension,
                "test_name": TEST_NAME,
                "effect_size_name": EFFECT_SIZE_NAME,
                "observations": int(inside.sum()),
                "categories": int(keep.sum()),
            }
            if observed.shape[1] < 2 or outside.sum() == 0 or inside.sum() == 0:
                rows.append(row)
                continue
            statistic, p_value, dof, expected = stats.chi2_contingency(observed, correction=False)
            total = observed.sum()
            residuals = (observed[0] - expected[0]) / np.sqrt(expected[0])
            top = int(np.argmax(residuals))
            row.update(
                statistic=float(statistic),
                degrees_of_freedom=int(dof),
                p_value=float(p_value),
                effect_size=float(np.sqrt(statistic / total)),
                min_expected_count=float(expected.min()),
                top_category=str(categories[top]),
                top_category_share=float(observed[0, top] / observed[0].sum()),
                top_category_pooled_share=float(observed[1, top] / observed[1].sum()),
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
