"""uptake.stats on small frames whose answer is known by construction."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from uptake.stats import (
    cluster_category_counts,
    cluster_distribution_differences,
    distribution_differences,
    rao_scott,
)


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
    # A: 30/10, others: 10/30 -> expected 20 everywhere, chi2 = 4 * 10^2 / 20 = 20;
    # shares 0.75/0.25 against 0.25/0.75: total variation (|0.5| + |0.5|) / 2 = 0.5.
    data = frame({"A": {"x": 30, "y": 10}, "B": {"x": 10, "y": 30}})
    row = distribution_differences(data, "group", ["day"]).iloc[0]
    assert math.isclose(row["statistic"], 20.0)
    assert row["design_effect"] == 1.0  # no clusters: every row its own
    assert math.isclose(row["effect_size"], 0.5)
    assert row["degrees_of_freedom"] == 1
    assert math.isclose(row["min_expected_count"], 20.0)


def test_tiny_effect_in_a_large_sample_is_not_flagged():
    # chi2 = 200,000 * 0.01^2 = 20: far below alpha / 2 tests, but shares 50.5 % vs
    # 49.5 %: a total variation of 0.01.
    big = {"A": {"x": 50_500, "y": 49_500}, "B": {"x": 49_500, "y": 50_500}}
    result = distribution_differences(frame(big), "group", ["day"])
    assert (result["p_value"] < 1e-4).all()
    assert np.allclose(result["effect_size"], 0.01)
    assert not result["is_different"].any()


def test_effect_size_does_not_grow_with_the_groups_share():
    # The same shift (30 % vs 20 % in x) for a group with 10 % and with 40 % of the rows:
    # Cramer's V grows with the share (0.074 vs 0.115), total variation stays 0.1.
    cramers_v = []
    for size, rest in ((1_000, 9_000), (4_000, 6_000)):
        counts = {"A": {"x": 3 * size // 10, "y": 7 * size // 10}}
        counts["B"] = {"x": 2 * rest // 10, "y": 8 * rest // 10}
        row = distribution_differences(frame(counts), "group", ["day"]).iloc[0]
        assert math.isclose(row["effect_size"], 0.1)
        cramers_v.append(math.sqrt(row["statistic"] / (size + rest)))
    assert cramers_v[1] > cramers_v[0] + 0.03


def clustered(groups: dict[str, list[list[str]]]) -> pd.DataFrame:
    """Rows of clients: group -> clients -> the category of each of its rows."""
    rows = [
        {"group": group, "client": f"{group}{i}", "day": day}
        for group, clients in groups.items()
        for i, days in enumerate(clients)
        for day in days
    ]
    return pd.DataFrame(rows)


def test_a_habit_fixed_per_client_counts_once_per_client():
    # Each client repeats one category 10 times: the evidence is that of its clients,
    # not of its rows. The corrected test equals Pearson's test on one row per client
    # (up to the (m - 1) / m of the cluster variance), and the design effect is ~10.
    rng = np.random.default_rng(2)
    groups = {
        "A": [[d] * 10 for d in rng.choice(["x", "y", "z"], 60, p=[0.5, 0.3, 0.2])],
        "B": [[d] * 10 for d in rng.choice(["x", "y", "z"], 90, p=[0.35, 0.35, 0.3])],
    }
    row = distribution_differences(clustered(groups), "group", ["day"], cluster_column="client")
    row = row.set_index("group_value").loc["A"]
    per_client = pd.crosstab(
        [g for g, clients in groups.items() for _ in clients],
        [c[0] for clients in groups.values() for c in clients],
    )
    pearson = stats.chi2_contingency(per_client.to_numpy(), correction=False)
    assert row["clusters"] == 60 and row["observations"] == 600
    assert row["design_effect"] == pytest.approx(10, rel=0.05)
    assert row["statistic"] == pytest.approx(pearson[0], rel=0.05)
    assert row["p_value"] == pytest.approx(pearson[1], rel=0.25)
    assert row["uncorrected_statistic"] == pytest.approx(10 * pearson[0])


def test_clustered_rows_without_a_difference_are_rarely_flagged():
    # No difference between the groups, but each client mostly repeats its own
    # category: the test that counts rows as independent rejects far more often than
    # its level; the corrected one keeps close to it.
    rng = np.random.default_rng(11)
    rejected = {"independent": 0, "clusters": 0}
    runs = 200
    for _ in range(runs):
        groups = {}
        for group in "AB":
            clients = []
            for habit in rng.choice(["x", "y", "z", "w"], 40):
                size = 1 + rng.poisson(5)
                other = rng.choice(["x", "y", "z", "w"], size)
                clients.append(np.where(rng.random(size) < 0.8, habit, other).tolist())
            groups[group] = clients
        data = clustered(groups)
        for name, column in (("independent", None), ("clusters", "client")):
            result = distribution_differences(data, "group", ["day"], cluster_column=column)
            rejected[name] += result["p_value"].iloc[0] < 0.05
    assert rejected["independent"] / runs > 0.3
    assert rejected["clusters"] / runs < 0.1


def test_single_category_gives_no_test():
    data = frame({"A": {"x": 5}, "B": {"x": 7}})
    result = distribution_differences(data, "group", ["day"])
    assert result["p_value"].isna().all()
    assert not result["is_different"].any()


def views_with_gaps(seed: int) -> pd.DataFrame:
    """Rows of clients in groups, clustered habits, and missing values in every column
    (including an integer and a date dimension, whose text spelling must survive
    counting); a client id reused by two groups counts as two clusters."""
    rng = np.random.default_rng(seed)
    rows = []
    for group in ["g1", "g2", "g3", "g10", None]:
        for client in range(int(rng.integers(5, 40))):
            habit = int(rng.integers(0, 24))
            for _ in range(1 + int(rng.poisson(4))):
                rows.append(
                    {
                        "group": group,
                        "client": None if rng.random() < 0.03 else f"c{client}",
                        "hour": None if rng.random() < 0.05 else int(habit + rng.poisson(0.5)),
                        "weekday": rng.choice(
                            ["Mon", "Tue", "Wed", None], p=[0.4, 0.3, 0.25, 0.05]
                        ),
                        "month": None
                        if rng.random() < 0.05
                        else f"2024-{rng.integers(1, 13):02d}-01",
                    }
                )
    return pd.DataFrame(rows)


def one_group_at_a_time(per_cluster: pd.DataFrame, group: str) -> dict:
    """The test of one group against the rest, the outside rows taken by dropping the
    group's (as distribution_differences did before it took slices of one array)."""
    inside = per_cluster.xs(group, level=0).to_numpy(dtype=float)
    outside = per_cluster.drop(index=group, level=0).to_numpy(dtype=float)
    test = rao_scott(inside, outside)
    shares_in = inside.sum(axis=0) / inside.sum()
    shares_out = outside.sum(axis=0) / outside.sum()
    return {
        "statistic": test["statistic"],
        "design_effect": test["design_effect"],
        "p_value": test["p_value"],
        "effect_size": np.abs(shares_in - shares_out).sum() / 2,
        "observations": inside.sum(),
        "clusters": len(inside),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_per_cluster_give_the_same_tests_as_rows(seed):
    # What the dbt model does (counts per group, client and category from DuckDB's group
    # by) against the rows themselves, as DuckDB hands them to pandas.
    con = duckdb.connect()
    con.register("generated", views_with_gaps(seed))
    views = con.sql(
        'select "group", client, hour::integer as hour, weekday, month::date as month '
        "from generated"
    )
    dimensions = ["hour", "weekday", "month"]
    by_rows = distribution_differences(
        views.df(), "group", dimensions, cluster_column="client", alpha=0.05
    )
    per_cluster = {}
    for dimension in dimensions:
        counts = views.aggregate(
            f'"group", client, {dimension} as category, count(*) as n',
            '"group", client, category',
        ).df()
        per_cluster[dimension] = cluster_category_counts(counts, "group", "client", "category", "n")
        rows = views.df()[["group", "client", dimension]].dropna()
        expected = pd.crosstab(
            [rows["group"], rows["client"].astype(str)], rows[dimension].astype(str)
        )
        pd.testing.assert_frame_equal(per_cluster[dimension], expected, check_names=False)
    by_counts = cluster_distribution_differences(per_cluster, alpha=0.05)
    assert len(by_rows) == 4 * 3  # the group without a name is left out
    assert per_cluster["hour"].columns.str.isdigit().all()  # "7", not "7.0"
    assert per_cluster["month"].columns[0] == "2024-01-01"
    pd.testing.assert_frame_equal(by_counts, by_rows, check_exact=False, rtol=1e-12)
    for (group, dimension), row in by_counts.set_index(["group_value", "dimension"]).iterrows():
        expected = one_group_at_a_time(per_cluster[dimension], group)
        assert row[list(expected)].to_dict() == pytest.approx(expected, rel=1e-12)
    # and the observations are the plain count of complete rows per group
    plain = views.df().dropna(subset=["group", "client", "hour"]).groupby("group").size()
    hours = by_counts[by_counts["dimension"] == "hour"].set_index("group_value")
    assert hours["observations"].to_dict() == plain.to_dict()
