"""uptake.stats on small frames whose answer is known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from uptake.stats import distribution_differences


def frame(groups: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = [
        {"group": group, "day": day}
        for group, counts in groups.items()
        for day, count in counts.items()
        for _ in range(count)
    ]
    return pd.DataFrame(rows)


def test_same_distribution_is_not_different():
    data = frame({g: {"Mon": 100, "Tue": 100, "Thu": 100} for g in "ABC"})
    result = distribution_differences(data, "group", ["day"])
    assert result["statistic"].tolist() == [0.0, 0.0, 0.0]
    assert not result["is_different"].any()


def test_a_shifted_group_is_flagged_with_its_top_category():
    data = frame(
        {
            "A": {"Mon": 100, "Tue": 100, "Thu": 300},
            "B": {"Mon": 100, "Tue": 100, "Thu": 100},
            "C": {"Mon": 100, "Tue": 100, "Thu": 100},
        }
    )
    result = distribution_differences(data, "group", ["day"]).set_index("group_value")
    assert result.loc["A", "is_different"]
    assert result.loc["A", "top_category"] == "Thu"
    assert result.loc["A", "top_category_share"] == 0.6
    assert result.loc["A", "top_category_pooled_share"] == 200 / 600


def test_statistic_and_effect_size_match_the_formula():
    # A: 30/10, others: 10/30 -> expected 20 everywhere, chi2 = 4 * 10^2 / 20 = 20.
    data = frame({"A": {"x": 30, "y": 10}, "B": {"x": 10, "y": 30}})
    row = distribution_differences(data, "group", ["day"]).iloc[0]
    assert math.isclose(row["statistic"], 20.0)
    assert math.isclose(row["effect_size"], math.sqrt(20.0 / 80))
    assert row["degrees_of_freedom"] == 1
    assert math.isclose(row["min_expected_count"], 20.0)


def test_tiny_effect_in_a_large_sample_is_not_flagged():
    # chi2 = n * V^2 = 200,000 * 0.01^2 = 20: far below alpha / 2 tests, but V = 0.01.
    big = {"A": {"x": 50_500, "y": 49_500}, "B": {"x": 49_500, "y": 50_500}}
    result = distribution_differences(frame(big), "group", ["day"])
    assert (result["p_value"] < 1e-4).all()
    assert np.allclose(result["effect_size"], 0.01)
    assert not result["is_different"].any()


def test_single_category_gives_no_test():
    data = frame({"A": {"x": 5}, "B": {"x": 7}})
    result = distribution_differences(data, "group", ["day"])
    assert result["p_value"].isna().all()
    assert not result["is_different"].any()
