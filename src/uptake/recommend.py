"""Page recommendations from page co-usage: item-to-item cosine similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from uptake import frames

COSINE = "item_cosine"
POPULAR = "most_popular"
RANDOM = "random"
EVALUATED = "evaluated"
RECOMMENDATION_COLUMNS = {
    "user_id": "varchar",
    "page": "varchar",
    "score": "double",
    "recommendation_rank": "bigint",
    "model_name": "varchar",
}
METRICS_COLUMNS = {
    "model_name": "varchar",
    "k": "bigint",
    "status": "varchar",
    "hit_rate_at_k": "double",
    "precision_at_k": "double",
    "users_evaluated": "bigint",
    "split_at": "timestamp",
    "train_users": "bigint",
    "candidate_pages_mean": "double",
    "hit_rate_gain_over_popular": "double",
    "hit_rate_gain_low": "double",
    "hit_rate_gain_high": "double",
    "precision_gain_over_popular": "double",
    "precision_gain_low": "double",
    "precision_gain_high": "double",
}
# Users scored per batch: the user x page score matrix stays small as users grow.
BATCH_USERS = 100_000


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each value's position among the distinct values in sorted() order, and those
    values: hashed once (pd.factorize), the distinct values sorted by Arrow (UTF-8 byte
    order is code point order, sorted()'s order for str)."""
    codes, distinct = pd.factorize(values)
    if (codes < 0).any():
        raise ValueError(f"page usage: {values.name} is missing on some rows")
    order = pc.sort_indices(pa.array(distinct, type=pa.string())).to_numpy()
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return rank[codes], np.asarray(distinct, dtype=object)[order]


def _matrix(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The binary user x page matrix with a 1 at each (row, column) given."""
    matrix = np.zeros(shape, dtype=np.float32)
    matrix[rows, columns] = 1.0
    return matrix


def similarity(matrix: np.ndarray) -> np.ndarray:
    """Cosine similarity of page columns of a binary user x page matrix, no self-pairs."""
    counts = matrix.sum(axis=0)
    co = matrix.T @ matrix
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = co / np.sqrt(np.outer(counts, counts))
    sim = np.nan_to_num(sim)
    np.fill_diagonal(sim, 0.0)
    return sim


def _scores(matrix: np.ndarray, model: str, sim: np.ndarray, popularity: np.ndarray):
    """Scores of every (user, page); pages a user already used get -inf."""
    if model == COSINE:
        scores = matrix @ sim / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    else:
        scores = np.tile(popularity, (matrix.shape[0], 1)).astype(float)
    return np.where(matrix > 0, -np.inf, scores)


def _top(matrix: np.ndarray, model: str, sim: np.ndarray, popularity: np.ndarray, k: int):
    """Per user (batch by batch): the k best pages by score, best first (ties by page
    order), and their scores."""
    orders, values = [], []
    for start in range(0, matrix.shape[0], BATCH_USERS):
        scores = _scores(matrix[start : start + BATCH_USERS], model, sim, popularity)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        orders.append(order)
        values.append(np.take_along_axis(scores, order, axis=1))
    if not orders:
        return np.zeros((0, k), dtype=int), np.zeros((0, k))
    return np.concatenate(orders), np.concatenate(values)


def recommend(usage: pd.DataFrame, *, top_n: int, model: str = COSINE) -> pd.DataFrame:
    """Top pages each user has not used yet, best first, and the model's name; a user
    who used every page, or for whom no page scores above zero, gets no rows (nor does
    anyone without page usage: the log says so)."""
    if not len(usage):
        frames.warn("page recommendations: no page usage to learn from; no recommendations")
    user_codes, users = _codes(usage["user_id"])
    page_codes, pages = _codes(usage["page"])
    matrix = _matrix(user_codes, page_codes, (len(users), len(pages)))
    order, scores = _top(matrix, model, similarity(matrix), matrix.sum(axis=0), top_n)
    kept = np.isfinite(scores) & (scores > 0)
    ranks = np.cumsum(kept, axis=1)
    u, position = np.nonzero(kept)
    result = pd.DataFrame(
        {
            "user_id": pd.Series(users[u], dtype=object),
            "page": pd.Series(pages[order[u, position]], dtype=object),
            "score": scores[u, position].astype(float),
            "recommendation_rank": ranks[u, position].astype(int),
            "model_name": model,
        },
    )
    return frames.typed(result, RECOMMENDATION_COLUMNS)


def random_expectation(candidates: np.ndarray, wanted: np.ndarray, k: int):
    """Expected hit (at least one wanted page) and precision at k, per user, of k pages
    drawn at random without replacement from the user's candidates (c pages, of which
    h wanted): hit = 1 - C(c - h, k) / C(c, k), precision = h / c · min(k, c) / k."""
    c, h = np.asarray(candidates, dtype=float), np.asarray(wanted, dtype=float)
    miss = np.ones_like(c)
    for i in range(k):  # C(c - h, k) / C(c, k) = prod_i (c - h - i) / (c - i)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(c - i > 0, np.clip(c - h - i, 0, None) / (c - i), 1.0)
        miss *= step
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(c > 0, h / c * np.minimum(k, c) / k, 0.0)
    return np.where(c > 0, 1.0 - miss, 0.0), precision


def paired_interval(differences: np.ndarray, *, samples: int, seed: int) -> tuple[float, float]:
    """95 % percentile interval of the mean of per-user paired differences, resampling
    users with replacement."""
    if not len(differences) or samples < 1:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = np.empty(samples)
    for start in range(0, samples, 100):  # 100 resamples at a time: memory stays small
        stop = min(start + 100, samples)
        draws = rng.integers(0, len(differences), (stop - start, len(differences)))
        means[start:stop] = differences[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def evaluate(
    usage: pd.DataFrame,
    *,
    ks: list[int],
    test_fraction: float,
    bootstrap_samples: int = 1000,
    seed: int = 42,
) -> pd.DataFrame:
    """Time split at the (1 - test_fraction) quantile of first uses: recommend from what
    users used before it, count a hit when a recommended page is first used after it.
    Hit rate at k (share of users with a hit) and precision at k for each k in ks, for
    the cosine model, the most-popular baseline and a random pick (its expectation in
    closed form), over users who used a new page after the split. Evaluated as served:
    a page that scores 0 is not recommended (recommend() drops it), so fewer than k
    pages may count, and precision still divides by k. The cosine rows carry the gain
    over most-popular with a paired bootstrap interval over the evaluated users
    (bootstrap_samples resamples, seeded). The split, the matrices and the ranking are
    computed once for all k: the top k of a stable ranking are the first k of its top
    max(ks). With no user to evaluate, the rates are null and status says why."""
    first_used = pd.to_datetime(usage["first_used_at"])
    split_at = first_used.quantile(1 - test_fraction) if len(first_used) else pd.NaT
    train = (first_used < split_at).to_numpy()
    later = (first_used >= split_at).to_numpy()
    page_codes, pages = _codes(usage["page"])
    user_codes, all_users = _codes(usage["user_id"])
    # The users with pages used before the split, in order, and each user's row among them.
    is_train_user = np.zeros(len(all_users), dtype=bool)
    is_train_user[user_codes[train]] = True
    users = all_users[is_train_user]
    position = np.cumsum(is_train_user) - 1
    matrix = _matrix(position[user_codes[train]], page_codes[train], (len(users), len(pages)))
    # The users who used a new page after the split, and which pages (a user x page
    # indicator matrix of the evaluated users, in user order).
    later &= is_train_user[user_codes]
    later_positions = position[user_codes[later]]
    evaluated = np.unique(later_positions).astype(int)
    wanted = np.zeros((len(evaluated), len(pages)), dtype=bool)
    wanted[np.searchsorted(evaluated, later_positions), page_codes[later]] = True
    if len(evaluated):
        status = EVALUATED
    elif not len(usage):
        status = "not evaluated: no page usage"
    else:
        status = "not evaluated: no user with pages used before the split used a new page after it"
    if status != EVALUATED:
        frames.warn(f"page recommendation metrics: {status}")
    # A user's candidates: the pages not used before the split (what every model ranks).
    candidates = (matrix[evaluated] == 0).sum(axis=1)
    wanted_candidates = (wanted & (matrix[evaluated] == 0)).sum(axis=1)
    per_user = {}  # (model, k) -> (hit, precision) per evaluated user
    sim, popularity = similarity(matrix), matrix.sum(axis=0)
    for model in (COSINE, POPULAR):
        top_order, top_scores = _top(matrix[evaluated], model, sim, popularity, max(ks))
        for k in ks:
            order, scores = top_order[:, :k], top_scores[:, :k]
            served = np.isfinite(scores) & (scores > 0)  # as recommend() serves them
            found = (served & np.take_along_axis(wanted, order, axis=1)).sum(axis=1)
            per_user[model, k] = (found > 0).astype(float), found / k
    for k in ks:
        per_user[RANDOM, k] = random_expectation(candidates, wanted_candidates, k)
    rows = []
    for (model, k), (hits, precision) in per_user.items():
        row = {
            "model_name": model,
            "k": k,
            "status": status,
            "hit_rate_at_k": float(np.mean(hits)) if len(hits) else np.nan,
            "precision_at_k": float(np.mean(precision)) if len(precision) else np.nan,
            "users_evaluated": len(hits),
            "split_at": split_at,
            "train_users": len(users),
            "candidate_pages_mean": float(np.mean(candidates)) if len(candidates) else np.nan,
        }
        if model == COSINE and len(hits):
            popular_hits, popular_precision = per_user[POPULAR, k]
            for name, gain in (
                ("hit_rate", hits - popular_hits),
                ("precision", precision - popular_precision),
            ):
                low, high = paired_interval(gain, samples=bootstrap_samples, seed=seed + k)
                row[f"{name}_gain_over_popular"] = float(gain.mean())
                row[f"{name}_gain_low"], row[f"{name}_gain_high"] = low, high
        rows.append(row)
    order = {COSINE: 0, POPULAR: 1, RANDOM: 2}
    result = pd.DataFrame(rows, columns=list(METRICS_COLUMNS))
    result = result.sort_values(
        ["k", "model_name"], key=lambda c: c.map(order) if c.name == "model_name" else c
    )
    return frames.typed(result, METRICS_COLUMNS)
