"""Rating and ranking metrics on hand-computed cases, per-user vs pooled loss, train exclusion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlpipe.evaluation.errors import mae, rmse
from dlpipe.evaluation.rating_metrics import (
    ndcg_at_k,
    per_user_loss,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    relevant_from_ratings,
    top_k_items,
)

INV_LOG2_3 = 1 / math.log2(3)  # discount at rank 2: 0.6309


def test_rmse_mae_by_hand() -> None:
    actual = np.array([4.0, 3.0, 5.0, 1.0])
    predicted = np.array([3.5, 3.0, 4.0, 2.0])  # errors -0.5, 0, -1, 1
    assert rmse(actual, predicted) == pytest.approx(math.sqrt((0.25 + 0 + 1 + 1) / 4))  # 0.75
    assert mae(actual, predicted) == pytest.approx((0.5 + 0 + 1 + 1) / 4)  # 0.625


def test_rating_metrics_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        rmse(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="non-empty"):
        mae(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="NaN"):
        rmse(np.array([1.0, np.nan]), np.ones(2))
    with pytest.raises(ValueError, match="users"):
        per_user_loss(np.array([1, 2]), np.ones(3), np.ones(3))


def test_per_user_loss_differs_from_pooled_rmse_when_unbalanced() -> None:
    # User 7: three ratings, each off by 1 (RMSE 1). User 3: one rating off by 3 (RMSE 3).
    users = np.array([7, 3, 7, 7])
    actual = np.array([4.0, 5.0, 2.0, 3.0])
    predicted = np.array([3.0, 2.0, 3.0, 4.0])
    assert per_user_loss(users, actual, predicted) == pytest.approx((1 + 3) / 2)  # 2.0
    assert rmse(actual, predicted) == pytest.approx(math.sqrt((1 + 9 + 1 + 1) / 4))  # 1.732


def test_per_user_loss_equals_rmse_for_a_single_user() -> None:
    actual, predicted = np.array([1.0, 2.0, 5.0]), np.array([2.0, 2.0, 3.0])
    assert per_user_loss(np.zeros(3), actual, predicted) == pytest.approx(rmse(actual, predicted))


def test_list_metrics_by_hand() -> None:
    # Ranked 1, 2, 3 | relevant {2, 5}: one hit, at rank 2.
    recommended, relevant = [1, 2, 3, 4, 5], {2, 5}
    assert precision_at_k(recommended, relevant, 3) == pytest.approx(1 / 3)
    assert recall_at_k(recommended, relevant, 3) == pytest.approx(1 / 2)
    # DCG = 1/log2(3); ideal for min(3, 2) = 2 relevant = 1 + 1/log2(3).
    assert ndcg_at_k(recommended, relevant, 3) == pytest.approx(INV_LOG2_3 / (1 + INV_LOG2_3))
    assert ndcg_at_k(recommended, relevant, 5) == pytest.approx(
        (INV_LOG2_3 + 1 / math.log2(6)) / (1 + INV_LOG2_3)  # hits at ranks 2 and 5
    )


def test_ndcg_ideal_uses_k_when_more_items_are_relevant() -> None:
    assert ndcg_at_k([4, 9, 1], {1, 4, 9, 11, 12}, 2) == pytest.approx(1.0)
    assert recall_at_k([4, 9, 1], {1, 4, 9, 11, 12}, 2) == pytest.approx(2 / 5)


def test_short_list_is_penalised_by_precision() -> None:
    assert precision_at_k([3], {3}, 5) == pytest.approx(1 / 5)


def test_list_metrics_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="k must"):
        precision_at_k([1], {1}, 0)
    with pytest.raises(ValueError, match="relevant"):
        recall_at_k([1], set(), 1)


SCORES = np.array(
    [
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        [0.1, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    ]
)
TRAIN = np.zeros_like(SCORES, dtype=bool)
TRAIN[0, 0] = True
RELEVANT = np.zeros_like(SCORES, dtype=bool)
RELEVANT[0, [2, 5]] = True
RELEVANT[1, 0] = True  # user 2 has nothing relevant and is skipped


def test_ranking_metrics_by_hand() -> None:
    # User 0: item 0 is a train item, so top-3 = 1, 2, 3 -> P 1/3, R 1/2, NDCG 0.6309/1.6309.
    # User 1: top-3 = 0, 1, 2 (ties by index) -> P 1/3, R 1, NDCG 1.
    assert top_k_items(SCORES, TRAIN, 3)[:2].tolist() == [[1, 2, 3], [0, 1, 2]]
    result = ranking_metrics(SCORES, TRAIN, RELEVANT, 3)
    assert result["precision@3"] == pytest.approx(1 / 3)
    assert result["recall@3"] == pytest.approx((1 / 2 + 1) / 2)
    assert result["ndcg@3"] == pytest.approx((INV_LOG2_3 / (1 + INV_LOG2_3) + 1) / 2)


def test_ranking_metrics_match_the_list_metrics() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(30, 25))
    train = rng.random((30, 25)) < 0.3
    relevant = (rng.random((30, 25)) < 0.2) & ~train
    k = 5
    top = top_k_items(scores, train, k)
    per_user = [
        (precision_at_k(t, set(np.flatnonzero(r)), k), ndcg_at_k(t, set(np.flatnonzero(r)), k))
        for t, r in zip(top, relevant, strict=True)
        if r.any()
    ]
    result = ranking_metrics(scores, train, relevant, k)
    assert result["precision@5"] == pytest.approx(np.mean([p for p, _ in per_user]))
    assert result["ndcg@5"] == pytest.approx(np.mean([n for _, n in per_user]))


def test_train_items_are_never_recommended() -> None:
    rng = np.random.default_rng(1)
    train = rng.random((20, 12)) < 0.5
    train[0, :10] = True  # user 0 has only 2 unseen items
    scores = rng.normal(size=(20, 12)) + 10.0 * train  # train items score highest
    top = top_k_items(scores, train, 4)
    chosen = np.take_along_axis(train, np.maximum(top, 0), axis=1) & (top >= 0)
    assert not chosen.any()
    assert top[0].tolist() == [*sorted([10, 11], key=lambda j: -scores[0, j]), -1, -1]


def test_ranking_metrics_edge_cases() -> None:
    nothing = np.zeros_like(RELEVANT)
    assert all(math.isnan(v) for v in ranking_metrics(SCORES, TRAIN, nothing, 2).values())
    overlap = RELEVANT.copy()
    overlap[0, 0] = True
    with pytest.raises(ValueError, match="overlap"):
        ranking_metrics(SCORES, TRAIN, overlap, 2)
    bad = SCORES.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        top_k_items(bad, TRAIN, 2)


def test_relevant_from_ratings_threshold() -> None:
    held_out = np.array([[np.nan, 4.0, 3.5], [0.0, 5.0, 4.5]])
    assert relevant_from_ratings(held_out).tolist() == [[False, True, False], [False, True, True]]
    assert relevant_from_ratings(held_out, threshold=4.5).tolist()[1] == [False, True, True]
