"""Bootstrap intervals and rankings for the aha-moment marts (the 2 x 2 tables are SQL)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uptake import frames

CELLS = ["true_positives", "false_positives", "false_negatives", "true_negatives"]
KEY = {"user_type": "varchar", "action": "varchar", "threshold": "bigint", "window_days": "bigint"}
# rpt_aha_moments: the 2 x 2 tables of int_aha_thresholds_tabulated (cohort all) and their ranking.
MOMENT_COLUMNS = {
    **KEY,
    "users": "bigint",
    **dict.fromkeys(CELLS, "bigint"),
    "reach": "double",
    "retention_rate": "double",
    "precision": "double",
    "recall": "double",
    "phi": "double",
    "lift": "double",
    "overlaps_retention_days": "boolean",
    "is_rankable": "boolean",
    "phi_low": "double",
    "phi_high": "double",
    "rank_in_user_type": "bigint",
    "is_best_for_action": "boolean",
}
# What rpt_aha_validation shows of each cohort's candidate, prefixed earlier_ / later_.
VALIDATED = ["users", "phi", "phi_low", "phi_high", "precision", "recall", "lift", "reach"]
VALIDATION_COLUMNS = {
    **KEY,
    **{f"earlier_{c}": MOMENT_COLUMNS[c] for c in [*VALIDATED, "rank_in_user_type"]},
    **{f"later_{c}": MOMENT_COLUMNS[c] for c in [*VALIDATED, "rank_in_user_type", "is_rankable"]},
    "holds_up": "boolean",
    "phi_change": "double",
}


def phi_of(counts: np.ndarray) -> np.ndarray:
    """Phi of 2 x 2 tables given as [..., 4] arrays of (tp, fp, fn, tn)."""
    tp, fp, fn, tn = (counts[..., i].astype(float) for i in range(4))
    denominator = np.sqrt((tp + fp) * (fn + tn) * (tp + fn) * (fp + tn))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (tp * tn - fp * fn) / denominator, np.nan)


def bootstrap_phi(table: pd.DataFrame, *, samples: int, seed: int) -> pd.DataFrame:
    """Add a 95% percentile interval of phi to each 2 x 2 table. Resampling the users
    of a table with replacement draws its four cell counts from a multinomial with the
    observed shares, so the users need not be at hand."""
    rng = np.random.default_rng(seed)
    result = table.copy()
    low, high = np.full(len(table), np.nan), np.full(len(table), np.nan)
    counts = table[CELLS].to_numpy(dtype=np.int64)
    for i, row in enumerate(counts):
        total = row.sum()
        if total == 0:
            continue
        draws = rng.multinomial(total, row / total, size=samples)
        phis = phi_of(draws)
        phis = phis[~np.isnan(phis)]
        if len(phis):
            low[i], high[i] = np.percentile(phis, [2.5, 97.5])
    result["phi_low"], result["phi_high"] = low, high
    return result


def rank_candidates(table: pd.DataFrame) -> pd.DataFrame:
    """Rank the rankable (action, threshold, window) candidates of each user type by
    phi (1 = strongest); flag each action's best candidate."""
    result = table.copy()
    rankable = result["is_rankable"].astype(bool) & result["phi"].notna()
    order = ["user_type", "phi", "action", "threshold", "window_days"]
    ordered = result[rankable].sort_values(order, ascending=[True, False, True, True, True])
    ranks = ordered.groupby("user_type").cumcount() + 1
    result["rank_in_user_type"] = pd.Series(ranks, dtype="Int64").reindex(result.index)
    best = ordered.groupby(["user_type", "action"]).head(1).index
    result["is_best_for_action"] = result.index.isin(best)
    return result


def aha_moments(table: pd.DataFrame, *, samples: int, seed: int) -> pd.DataFrame:
    """The ranked candidates over all users, with bootstrap intervals."""
    everyone = table[table["cohort"] == "all"].sort_values(
        ["user_type", "action", "threshold", "window_days"]
    )
    if not len(everyone):
        frames.warn("aha moments: no user's retention days are covered yet; no candidates")
    ranked = rank_candidates(bootstrap_phi(everyone, samples=samples, seed=seed))
    return frames.typed(ranked, MOMENT_COLUMNS)


def validate(table: pd.DataFrame, *, top: int, samples: int, seed: int) -> pd.DataFrame:
    """The best candidates of the earlier cohort, checked on the later one: a lucky
    threshold shows up as a phi that falls or an interval that reaches 0.

    A candidate holds up when, among later users, (1) its phi interval lies above 0
    (there is an association at all), (2) its phi does not fall below the lower end of
    its earlier interval (a winner's curse shows as a fall; a rise is no reason for
    doubt), and (3) it still ranks among the top candidates (rank <= top), so that it
    is not merely associated but still among the best. Rank 1 is not asked for: the
    neighbouring windows and thresholds of one action differ by less than their
    intervals, so their order among later users is noise."""
    halves = {}
    for cohort in ("earlier", "later"):
        part = table[table["cohort"] == cohort].sort_values(
            ["user_type", "action", "threshold", "window_days"]
        )
        halves[cohort] = rank_candidates(bootstrap_phi(part, samples=samples, seed=seed))
    key = list(KEY)
    keep = VALIDATED
    earlier = halves["earlier"]
    earlier = earlier[earlier["rank_in_user_type"] <= top][
        key + keep + ["rank_in_user_type"]
    ].rename(columns={c: f"earlier_{c}" for c in [*keep, "rank_in_user_type"]})
    later = halves["later"][key + keep + ["rank_in_user_type", "is_rankable"]].rename(
        columns={c: f"later_{c}" for c in [*keep, "rank_in_user_type", "is_rankable"]}
    )
    result = earlier.merge(later, on=key, how="left")
    result["holds_up"] = (
        (
            (result["later_phi_low"] > 0)
            & (result["later_phi"] >= result["earlier_phi_low"])
            & (result["later_rank_in_user_type"] <= top)
        )
        .fillna(False)
        .astype(bool)
    )
    result["phi_change"] = result["later_phi"] - result["earlier_phi"]
    if not len(result):
        frames.warn("aha validation: no ranked candidate among earlier users; nothing to validate")
    result = result.sort_values(["user_type", "earlier_rank_in_user_type"])
    return frames.typed(result, VALIDATION_COLUMNS)
