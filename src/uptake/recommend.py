"""Page recommendations from page co-usage: item-to-item cosine similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uptake import frames

COSINE = "item_cosine"
POPULAR = "most_popular"
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
}
# Users scored per batch: the user x page score matrix stays small as users grow.
BATCH_USERS = 100_000


def _matrix(usage: pd.DataFrame, pages: list[str]) -> tuple[list[str], np.ndarray]:
    users = sorted(usage["user_id"].unique())
    index = {u: i for i, u in enumerate(users)}
    column = {p: j for j, p in enumerate(pages)}
    matrix = np.zeros((len(users), len(pages)), dtype=np.float32)
    rows = usage["user_id"].map(index).to_numpy(dtype=np.intp)
    matrix[rows, usage["page"].map(column).to_numpy(dtype=np.intp)] = 1.0
    return users, matrix


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
    pages = sorted(usage["page"].unique())
    users, matrix = _matrix(usage, pages)
    order, scores = _top(matrix, model, similarity(matrix), matrix.sum(axis=0), top_n)
    kept = np.isfinite(scores) & (scores > 0)
    ranks = np.cumsum(kept, axis=1)
    u, position = np.nonzero(kept)
    result = pd.DataFrame(
        {
            "user_id": pd.Series(np.asarray(users, dtype=object)[u], dtype=object),
            "page": pd.Series(np.asarray(pages, dtype=object)[order[u, position]], dtype=object),
            "score": scores[u, position].astype(float),
            "recommendation_rank": ranks[u, position].astype(int),
            "model_name": model,
        },
    )
    return frames.typed(result, RECOMMENDATION_COLUMNS)


def evaluate(usage: pd.DataFrame, *, ks: list[int], test_fraction: float) -> pd.DataFrame:
    """Time split at the (1 - test_fraction) quantile of first uses: recommend from what
    users used before it, count a hit when a recommended page is first used after it.
    Hit rate at k (share of users with a hit) and precision at k for each k in ks, for
    the cosine model and the most-popular baseline, over users who used a new page after
    the split. The split, the matrices and the ranking are computed once for all k: the
    top k of a stable ranking are the first k of its top max(ks). With no user to
    evaluate, the rates are null and status says why."""
    first_used = pd.to_datetime(usage["first_used_at"])
    split_at = first_used.quantile(1 - test_fraction) if len(first_used) else pd.NaT
    train = usage[first_used < split_at]
    later = usage[first_used >= split_at]
    pages = sorted(usage["page"].unique())
    users, matrix = _matrix(train, pages)
    position = {u: i for i, u in enumerate(users)}
    # The users who used a new page after the split, and which pages (a user x page
    # indicator matrix of the evaluated users, in user order).
    later = later[later["user_id"].isin(position)]
    evaluated = np.sort(later["user_id"].map(position).unique()).astype(int)
    row_of = {p: i for i, p in enumerate(evaluated)}
    wanted = np.zeros((len(evaluated), len(pages)), dtype=bool)
    column = {p: j for j, p in enumerate(pages)}
    wanted[
        later["user_id"].map(position).map(row_of).to_numpy(dtype=int),
        later["page"].map(column).to_numpy(dtype=int),
    ] = True
    if len(evaluated):
        status = EVALUATED
    elif not len(usage):
        status = "not evaluated: no page usage"
    else:
        status = "not evaluated: no user with pages used before the split used a new page after it"
    if status != EVALUATED:
        frames.warn(f"page recommendation metrics: {status}")
    rows = []
    for model in (COSINE, POPULAR):
        top_order, top_scores = _top(
            matrix[evaluated], model, similarity(matrix), matrix.sum(axis=0), max(ks)
        )
        for k in ks:
            order, scores = top_order[:, :k], top_scores[:, :k]
            found = (np.isfinite(scores) & np.take_along_axis(wanted, order, axis=1)).sum(axis=1)
            hits, precision = found > 0, found / k
            rows.append(
                {
                    "model_name": model,
                    "k": k,
                    "status": status,
                    "hit_rate_at_k": float(np.mean(hits)) if len(hits) else np.nan,
                    "precision_at_k": float(np.mean(precision)) if len(precision) else np.nan,
                    "users_evaluated": len(hits),
                    "split_at": split_at,
                    "train_users": len(users),
                }
            )
    result = pd.DataFrame(rows).sort_values(["k", "model_name"], kind="stable")
    return frames.typed(result, METRICS_COLUMNS)
