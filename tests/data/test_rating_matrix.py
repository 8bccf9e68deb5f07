"""Index maps, seeded splits and sparse/dense rating matrices, checked by hand and at 100k scale."""

import time

import numpy as np
import pandas as pd
import pytest
import torch

from dlpipe.data.rating_matrix import (
    build_index,
    dense_with_mask,
    kfold_u_style,
    per_user_holdout,
    random_holdout,
    to_matrix,
)


def synthetic(n: int = 100_000, users: int = 943, items: int = 1682, seed: int = 1) -> pd.DataFrame:
    """Unique (user, item) pairs with raw ids that are neither 0-based nor contiguous."""
    rng = np.random.default_rng(seed)
    cells = rng.choice(users * items, size=n, replace=False)
    return pd.DataFrame(
        {
            "user": cells // items * 3 + 7,
            "item": cells % items * 2 + 100,
            "rating": rng.integers(1, 6, size=n).astype(np.float64),
            "timestamp": rng.integers(8e8, 9e8, size=n),
        }
    )


SMALL = pd.DataFrame(
    {
        "user": [10, 10, 30, 20, 30],
        "item": [7, 5, 5, 9, 9],
        "rating": [4.0, 1.0, 5.0, 2.0, 3.5],
        "timestamp": [1, 2, 3, 4, 5],
    }
)


def test_index_maps_raw_ids_to_contiguous_rows_and_columns() -> None:
    index = build_index(SMALL)
    assert index.users.tolist() == [10, 20, 30] and index.items.tolist() == [5, 7, 9]
    assert (index.n_users, index.n_items) == (3, 3)
    assert index.user_rows(np.array([30, 10])).tolist() == [2, 0]
    assert index.item_cols(SMALL["item"]).tolist() == [1, 0, 0, 2, 2]
    with pytest.raises(ValueError, match=r"2 item id\(s\) not in the index: \[6, 99\]"):
        index.item_cols(np.array([5, 6, 99]))
    with pytest.raises(ValueError, match="read-only"):
        index.users[0] = 1


def test_matrix_entries_equal_the_ratings_by_hand() -> None:
    index = build_index(SMALL)
    by_user = to_matrix(SMALL, index).toarray()
    assert by_user.tolist() == [
        [1.0, 4.0, 0.0],  # user 10: item 5 -> 1, item 7 -> 4
        [0.0, 0.0, 2.0],  # user 20: item 9 -> 2
        [5.0, 0.0, 3.5],  # user 30: item 5 -> 5, item 9 -> 3.5
    ]
    by_item = to_matrix(SMALL, index, by="item")
    assert by_item.shape == (3, 3)
    np.testing.assert_array_equal(by_item.toarray(), by_user.T)


def test_matrix_from_training_ratings_keeps_the_full_shape_without_test_ratings() -> None:
    ratings = synthetic(2_000, users=50, items=80)
    index = build_index(ratings)
    train, test = random_holdout(ratings, 0.2, seed=3)
    matrix = to_matrix(train, index).toarray()
    assert matrix.shape == (index.n_users, index.n_items)
    assert np.count_nonzero(matrix) == len(train)
    rows, cols = index.user_rows(test["user"]), index.item_cols(test["item"])
    assert not matrix[rows, cols].any()
    rows, cols = index.user_rows(train["user"]), index.item_cols(train["item"])
    np.testing.assert_array_equal(matrix[rows, cols], train["rating"].to_numpy())


def test_matrix_refuses_duplicate_pairs_and_bad_orientation() -> None:
    doubled = pd.concat([SMALL, SMALL.iloc[:1]])
    with pytest.raises(ValueError, match=r"1 \(user, item\) pair\(s\) appear more than once"):
        to_matrix(doubled, build_index(doubled))
    with pytest.raises(ValueError, match="by must be"):
        to_matrix(SMALL, build_index(SMALL), by="rows")  # type: ignore[arg-type]


def test_dense_with_mask_marks_observed_entries_only() -> None:
    index = build_index(SMALL)
    values, mask = dense_with_mask(to_matrix(SMALL, index))
    assert values.dtype == torch.float32 and mask.dtype == torch.bool
    assert values.tolist() == [[1.0, 4.0, 0.0], [0.0, 0.0, 2.0], [5.0, 0.0, 3.5]]
    assert mask.tolist() == [[True, True, False], [False, False, True], [True, False, True]]
    assert int(mask.sum()) == len(SMALL)


def test_random_holdout_sizes_disjoint_and_seeded() -> None:
    ratings = synthetic(10_000, users=100, items=300)
    train, test = random_holdout(ratings, seed=5)
    assert (len(train), len(test)) == (9_000, 1_000)
    assert set(train.index).isdisjoint(test.index)
    assert sorted([*train.index, *test.index]) == list(ratings.index)
    again = random_holdout(ratings, seed=5)[1]
    pd.testing.assert_frame_equal(test, again)
    assert not test.index.equals(random_holdout(ratings, seed=6)[1].index)
    with pytest.raises(ValueError, match="test_fraction"):
        random_holdout(ratings, 1.0)


def test_kfold_every_rating_in_exactly_one_test_fold() -> None:
    ratings = synthetic(10_003, users=100, items=300)
    tested = []
    for fold in range(1, 6):
        train, test = kfold_u_style(ratings, folds=5, fold=fold, seed=2)
        assert len(test) in (2_000, 2_001) and len(train) + len(test) == len(ratings)
        assert set(train.index).isdisjoint(test.index)
        tested.extend(test.index)
    assert sorted(tested) == list(ratings.index)
    pd.testing.assert_frame_equal(
        kfold_u_style(ratings, fold=3, seed=2)[1], kfold_u_style(ratings, fold=3, seed=2)[1]
    )
    with pytest.raises(ValueError, match=r"fold must lie in 1\.\.5"):
        kfold_u_style(ratings, fold=0)


def test_per_user_holdout_counts() -> None:
    ratings = synthetic(3_000, users=60, items=200)
    counts = ratings["user"].value_counts()
    small = counts.index[counts < 50]
    assert len(small) and (counts >= 50).any()
    train, test = per_user_holdout(ratings, n_per_user=3, seed=4, min_ratings=50)
    held = test["user"].value_counts()
    assert set(held.index) == set(counts.index[counts >= 50])
    assert (held == 3).all()
    assert set(train["user"]) == set(ratings["user"])
    assert set(train.index).isdisjoint(test.index) and len(train) + len(test) == len(ratings)
    again = per_user_holdout(ratings, n_per_user=3, seed=4, min_ratings=50)[1]
    pd.testing.assert_frame_equal(test, again)
    other = per_user_holdout(ratings, n_per_user=3, seed=5, min_ratings=50)[1]
    assert not test.index.equals(other.index)
    with pytest.raises(ValueError, match="must exceed n_per_user"):
        per_user_holdout(ratings, n_per_user=2, min_ratings=2)


def test_index_and_matrix_on_100k_ratings_are_fast() -> None:
    ratings = synthetic()
    start = time.perf_counter()
    index = build_index(ratings)
    matrix = to_matrix(ratings, index)
    elapsed = time.perf_counter() - start
    assert matrix.shape == (943, 1682) and matrix.nnz == 100_000
    assert matrix.sum() == ratings["rating"].sum()
    assert elapsed < 0.5, f"took {elapsed:.2f} s"
