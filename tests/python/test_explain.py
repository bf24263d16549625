"""The model fitted to be read: de-duplicated columns, named references, Wald intervals
that recover a known truth, aliased features permuted together, factors from a reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import project_settings
from sklearn.linear_model import LogisticRegression

from uptake import ml
from uptake.ml import explain

TRUTH = {"x_signal": 1.0, "flag": np.log(2.5), "colour = red": 0.5, "colour = green": -0.4}


def planted(n: int, seed: int) -> pd.DataFrame:
    """Known log-odds: x_signal +1.0 per unit (sd 1), flag ln 2.5, colour red +0.5 and
    green -0.4 against blue; x_copy equals x_signal, x_scaled is 3 x x_signal + 1, shade
    maps one to one to colour, and x_noise does nothing."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["blue", "red", "green"], n, p=[0.5, 0.3, 0.2])
    signal = rng.normal(size=n)
    flag = rng.random(n) < 0.4
    eta = (
        -1
        + signal
        + TRUTH["flag"] * flag
        + np.select([colour == "red", colour == "green"], [0.5, -0.4], 0.0)
    )
    return pd.DataFrame(
        {
            "entity_id": np.arange(n),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, n), "D"),
            "colour": colour,
            "shade": pd.Series(colour).map({"blue": "navy", "red": "crimson", "green": "lime"}),
            "x_signal": signal,
            "x_copy": signal,
            "x_scaled": 3 * signal + 1,
            "x_noise": rng.normal(size=n),
            "x_constant": np.ones(n),
            "flag": flag,
            "label": rng.random(n) < 1 / (1 + np.exp(-eta)),
        }
    )


SPEC = ml.Spec(
    name="planted",
    key=("entity_id",),
    label="label",
    time_column="day",
    categorical=("colour", "shade"),
    numeric=("x_signal", "x_copy", "x_scaled", "x_noise", "x_constant"),
    binary=("flag",),
)


def explained(frame: pd.DataFrame) -> pd.DataFrame:
    rows = explain.explained_fit(
        ml.prepare(frame, SPEC), frame["label"].astype(int).to_numpy(), SPEC
    )
    return pd.DataFrame(rows).set_index("feature")


def test_copies_and_constants_are_dropped_saying_why():
    table = explained(planted(4000, seed=1))
    dropped = table[table.measure == "dropped"]["note"]
    assert dropped["x_copy"] == "equal to x_signal on every row"
    assert dropped["x_scaled"].startswith("perfectly correlated with x_signal")
    assert dropped["x_constant"].startswith("constant")
    assert {"shade = crimson", "shade = lime"} <= set(dropped.index)
    kept = table[table.measure == "coefficient"].index
    assert {"x_signal", "x_noise", "flag", "colour = red", "colour = green"} == set(kept)


def test_a_linear_combination_of_earlier_columns_is_dropped():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=500), rng.normal(size=500)
    columns = pd.DataFrame({"a": a, "b": b, "a_plus_b": a + b, "c": rng.normal(size=500)})
    kept, dropped = explain.deduplicate(columns)
    assert kept == ["a", "b", "c"]
    assert dropped["a_plus_b"].split(" (R²")[0] in (
        "a linear combination of a, b",
        "a linear combination of b, a",
    )


def test_no_two_kept_columns_are_perfectly_correlated():
    frame = planted(3000, seed=3)
    y = frame["label"].astype(int).to_numpy()
    columns, _ = explain.design(ml.prepare(frame, SPEC), y, SPEC)
    kept, _ = explain.deduplicate(columns)
    correlation = np.corrcoef(columns[kept].to_numpy(float), rowvar=False)
    np.fill_diagonal(correlation, 0)
    assert np.abs(correlation).max() < 0.999


def test_every_category_is_compared_with_a_named_reference():
    table = explained(planted(3000, seed=4))
    coefficients = table[table.measure == "coefficient"]
    categories = coefficients[coefficients.index.str.contains(" = ")]
    assert len(categories) == 2
    for feature, row in categories.iterrows():
        name = feature.split(" = ")[0]
        assert row["reference"] == f"{name} = blue"  # the most frequent level
        assert row["unit"].endswith(" vs blue")
        assert row["reference"] not in coefficients.index
    assert (coefficients["reference"].notna() & coefficients["unit"].notna()).all()


def test_the_preferred_reference_wins_over_the_most_frequent():
    values = pd.Series(["ORG_INVITE"] * 50 + ["SIGNUP"] * 20)
    assert explain.reference_level(values, "creation_source") == "SIGNUP"
    assert explain.reference_level(values, "other_column") == "ORG_INVITE"


def test_rare_levels_are_pooled_and_named():
    frame = planted(3000, seed=5)
    frame.loc[:4, "colour"] = "purple"  # 5 rows: too few to estimate
    table = explained(frame)
    assert "colour = other" in table.index
    assert "purple" in table.loc["colour = other", "note"]


def test_estimates_match_maximum_likelihood_and_intervals_cover_the_truth():
    frame = planted(20000, seed=6)
    table = explained(frame)
    # The same fit as an unpenalised maximum-likelihood logistic regression.
    y = frame["label"].astype(int).to_numpy()
    columns, _ = explain.design(ml.prepare(frame, SPEC), y, SPEC)
    kept, _ = explain.deduplicate(columns)
    reference = LogisticRegression(penalty=None, max_iter=1000, tol=1e-10).fit(columns[kept], y)
    np.testing.assert_allclose(table.loc[kept, "value"], reference.coef_[0], atol=1e-3)
    sd = frame["x_signal"].std(ddof=0)
    truth = {**TRUTH, "x_signal": TRUTH["x_signal"] * sd, "x_noise": 0.0}
    for feature, log_odds in truth.items():
        row = table.loc[feature]
        assert row["odds_ratio_low"] < np.exp(log_odds) < row["odds_ratio_high"], feature


def test_intervals_hold_the_estimate_and_are_not_degenerate():
    table = explained(planted(3000, seed=7))
    coefficients = table[table.measure == "coefficient"]
    assert (coefficients["odds_ratio_low"] < coefficients["odds_ratio"]).all()
    assert (coefficients["odds_ratio"] < coefficients["odds_ratio_high"]).all()
    assert ((coefficients["odds_ratio_low"] != 1) & (coefficients["odds_ratio_high"] != 1)).all()
    assert (coefficients["std"] > 0).all()


def test_separation_is_finite_and_said():
    frame = planted(1000, seed=8)
    frame["label"] = frame["flag"]  # flag decides the outcome
    table = explained(frame)
    row = table.loc["flag"]
    assert np.isfinite(row["value"]) and "not estimable" in row["note"]


def test_one_to_one_and_equal_features_are_permuted_together():
    frame = planted(2000, seed=9)
    x = ml.prepare(frame, SPEC)
    groups = explain.aliased_groups(x, SPEC)
    assert ["colour", "shade"] in groups
    assert ["x_signal", "x_copy", "x_scaled"] in groups
    fitted = ml.fit(frame, SPEC, project_settings(seed=3, cv_folds=3))
    importances = ml.explanations_frame(fitted).query("measure == 'permutation_importance'")
    for _, family in importances.groupby("model_name"):
        assert {"colour + shade", "x_signal + x_copy + x_scaled"} <= set(family["feature"])
        assert not {"shade", "x_copy", "colour", "x_signal"} & set(family["feature"])
    signal = importances[importances.feature == "x_signal + x_copy + x_scaled"]
    assert (signal["value"] > 0.1).all()


def test_top_factors_count_a_category_from_its_reference_level():
    frame = planted(3000, seed=10)
    fitted = ml.fit(frame, SPEC, project_settings(seed=3, cv_folds=3))
    pipeline = next(m.pipeline for m in fitted if m.model_name == ml.LOGISTIC)
    x = ml.prepare(frame, SPEC)
    values, labels = explain.contributions(pipeline, x, {"colour": "blue", "shade": "navy"})
    blue = (frame["colour"] == "blue").to_numpy()
    colour = [j for j, label in enumerate(labels) if label.startswith("colour = ")]
    # A row at the reference level gets no contribution from its category.
    assert np.allclose(values[blue][:, colour], 0)
    assert all(labels[j].endswith(" vs blue") for j in colour)
    # Each row's contributions add up to its log-odds less that of the reference row
    # (reference levels, numeric features at their training mean, flag false).
    prepare, model = pipeline.named_steps["prepare"], pipeline.named_steps["model"]
    names = list(prepare.get_feature_names_out())
    coefficients = model.coef_[0]
    base = model.intercept_[0] + sum(
        coefficients[names.index(name)] for name in ("colour_blue", "shade_navy")
    )
    log_odds = pipeline.decision_function(x)
    np.testing.assert_allclose(values.sum(axis=1), log_odds - base, atol=1e-6)
