"""Rating metrics for the recommender: pooled RMSE/MAE (the published figure), the course's
per-user loss, and top-k ranking metrics on a per-user hold-out.

Rating inputs are 1-D, equally long, non-empty and finite. Ranking inputs are dense (users, items)
matrices over the same index order; relevant held-out items never overlap the training items.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from dlpipe.evaluation.errors import checked_arrays

DEFAULT_THRESHOLD = 4.0


def per_user_loss(users: np.ndarray, actual: np.ndarray, predicted: np.ndarray) -> float:
    """The course's figure: each user's RMSE over their own held-out ratings, averaged over users.
    Every user weighs the same, so it differs from pooled RMSE when users rate unequally often."""
    a, p = checked_arrays(actual, predicted)
    users = np.asarray(users)
    if users.shape != a.shape:
        raise ValueError(f"users has shape {users.shape}, ratings {a.shape}")
    _, codes = np.unique(users, return_inverse=True)
    counts = np.bincount(codes)
    squared = np.bincount(codes, weights=(a - p) ** 2)
    return float(np.mean(np.sqrt(squared / counts)))


def relevant_from_ratings(held_out: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Boolean (users, items) relevance: a held-out rating >= threshold. Missing entries may be
    NaN or 0 (ratings start at 1), so neither counts as relevant."""
    return np.asarray(held_out, dtype=np.float64) >= threshold


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def _hits(recommended: Sequence[int], relevant: Collection[int], k: int) -> np.ndarray:
    _check_k(k)
    if len(relevant) == 0:
        raise ValueError("a user without relevant items has no ranking score")
    relevant_set = set(relevant)
    return np.array([item in relevant_set for item in recommended[:k]], dtype=bool)


def precision_at_k(recommended: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the top-k recommended items that are relevant; always divided by k, so a list
    shorter than k is penalised."""
    return float(_hits(recommended, relevant, k).sum() / k)


def recall_at_k(recommended: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the user's relevant items found in the top k."""
    return float(_hits(recommended, relevant, k).sum() / len(relevant))


def _discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2))


def ndcg_at_k(recommended: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Binary-gain NDCG: sum of 1/log2(rank + 1) over relevant hits, divided by the same sum for
    a perfect list of min(k, n_relevant) relevant items."""
    hits = _hits(recommended, relevant, k)
    dcg = float(_discounts(len(hits))[hits].sum())
    ideal = float(_discounts(min(k, len(relevant))).sum())
    return dcg / ideal


def top_k_items(scores: np.ndarray, train_mask: np.ndarray, k: int) -> np.ndarray:
    """(users, min(k, items)) column indices of each user's best-scored unseen items, best first;
    ties go to the lower index. A slot is -1 when the user has fewer than k unseen items, so a
    training item is never recommended."""
    _check_k(k)
    scores = np.array(scores, dtype=np.float64)
    train_mask = np.asarray(train_mask, dtype=bool)
    if scores.ndim != 2 or train_mask.shape != scores.shape:
        raise ValueError(f"expected equal 2-D shapes, got {[scores.shape, train_mask.shape]}")
    if not np.isfinite(scores[~train_mask]).all():
        raise ValueError("NaN or infinite scores on candidate items")
    scores[train_mask] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, : min(k, scores.shape[1])]
    top[np.take_along_axis(train_mask, top, axis=1)] = -1
    return top


def ranking_metrics(
    scores: np.ndarray, train_mask: np.ndarray, relevant: np.ndarray, k: int
) -> dict[str, float]:
    """Mean precision@k, recall@k and ndcg@k of top_k_items over users with at least one
    relevant item (NaN if none has)."""
    relevant = np.asarray(relevant, dtype=bool)
    train_mask = np.asarray(train_mask, dtype=bool)
    if relevant.shape != train_mask.shape:
        raise ValueError(f"relevant has shape {relevant.shape}, train_mask {train_mask.shape}")
    if (train_mask & relevant).any():
        raise ValueError("relevant held-out items overlap the training items")
    top = top_k_items(scores, train_mask, k)
    keys = (f"precision@{k}", f"recall@{k}", f"ndcg@{k}")
    n_relevant = relevant.sum(axis=1)
    rows = n_relevant > 0
    if not rows.any():
        return dict.fromkeys(keys, float("nan"))

    top, relevant, n_relevant = top[rows], relevant[rows], n_relevant[rows]
    hits = np.take_along_axis(relevant, np.maximum(top, 0), axis=1) & (top >= 0)
    n_hits = hits.sum(axis=1)
    dcg = (hits * _discounts(hits.shape[1])).sum(axis=1)
    ideal = np.cumsum(_discounts(k))[np.minimum(k, n_relevant) - 1]
    values = (n_hits / k, n_hits / n_relevant, dcg / ideal)
    return {key: float(np.mean(v)) for key, v in zip(keys, values, strict=True)}
