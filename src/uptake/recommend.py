"""Page recommendations from page co-usage: item-to-item cosine similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd

COSINE = "item_cosine"
POPULAR = "most_popular"


def _matrix(usage: pd.DataFrame, pages: list[str]) -> tuple[list[str], np.ndarray]:
    users = sorted(usage["user_id"].unique())
    index = {u: i for i, u in enumerate(users)}
    column = {p: j for j, p in enumerate(pages)}
    matrix = np.zeros((len(users), len(pages)), dtype=np.float32)
    matrix[usage["user_id"].map(index).to_numpy(), usage["page"].map(column).to_numpy()] = 1.0
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


def recommend(usage: pd.DataFrame, *, top_n: int, model: str = COSINE) -> pd.DataFrame:
    """Top pages each user has not used yet, best first; a user who used every page,
    or for whom no page scores above zero, gets no rows."""
    pages = sorted(usage["page"].unique())
    users, matrix = _matrix(usage, pages)
    scores = _scores(matrix, model, similarity(matrix), matrix.sum(axis=0))
    rows = []
    order = np.argsort(-scores, axis=1, kind="stable")[:, :top_n]
    for u, columns in enumerate(order):
        rank = 0
        for j in columns:
            if np.isfinite(scores[u, j]) and scores[u, j] > 0:
                rank += 1
                rows.append((users[u], pages[j], float(scores[u, j]), rank))
    return pd.DataFrame(rows, columns=["user_id", "page", "score", "recommendation_rank"])


def evaluate(usage: pd.DataFrame, *, k: int, test_fraction: float) -> pd.DataFrame:
    """Time split at the (1 - test_fraction) quantile of first uses: recommend from what
    users used before it, count a hit when a recommended page is first used after it.
    Hit rate at k (share of users with a hit) and precision at k, for the cosine model
    and the most-popular baseline, over users who used a new page after the split."""
    first_used = pd.to_datetime(usage["first_used_at"])
    split_at = first_used.quantile(1 - test_fraction)
    train = usage[first_used < split_at]
    later = usage[first_used >= split_at]
    pages = sorted(usage["page"].unique())
    users, matrix = _matrix(train, pages)
    position = {u: i for i, u in enumerate(users)}
    new_pages = later[later["user_id"].isin(position)].groupby("user_id")["page"].apply(set)
    rows = []
    for model in (COSINE, POPULAR):
        scores = _scores(matrix, model, similarity(matrix), matrix.sum(axis=0))
        hits, precision = [], []
        for user, wanted in new_pages.items():
            row = scores[position[user]]
            candidates = [j for j in np.argsort(-row, kind="stable")[:k] if np.isfinite(row[j])]
            found = len({pages[j] for j in candidates} & wanted)
            hits.append(found > 0)
            precision.append(found / k)
        rows.append(
            {
                "model_name": model,
                "k": k,
                "hit_rate_at_k": float(np.mean(hits)) if hits else np.nan,
                "precision_at_k": float(np.mean(precision)) if precision else np.nan,
                "users_evaluated": len(hits),
                "split_at": split_at,
                "train_users": len(users),
            }
        )
    return pd.DataFrame(rows)
