"""Ratings -> seeded train/test splits and sparse user x item matrices for autoencoders.

The index is built from ALL ratings, before splitting, so a user or item seen only in the test
set still has a row/column: the matrix shapes never depend on the split, and a model trained on
one split can score any other. Matrices are built from the training frame alone, so no test
rating leaks into the inputs.

Splits take a seed and draw from `numpy.random.default_rng(seed)`; the same seed gives the same
split on any machine. Each returns (train, test) frames with the input's rows and index.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

Orientation = Literal["user", "item"]


@dataclass(frozen=True, eq=False)
class RatingIndex:
    """Sorted raw ids; row r of a user x item matrix is user `users[r]`, column c item `items[c]`.

    The arrays are read-only. `eq=False`: arrays do not compare with `==`.
    """

    users: np.ndarray
    items: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def user_rows(self, users: np.ndarray | pd.Series) -> np.ndarray:
        """0-based rows of raw user ids; an unknown id is a ValueError naming it."""
        return _positions(self.users, users, "user")

    def item_cols(self, items: np.ndarray | pd.Series) -> np.ndarray:
        """0-based columns of raw item ids; an unknown id is a ValueError naming it."""
        return _positions(self.items, items, "item")


def build_index(ratings: pd.DataFrame) -> RatingIndex:
    """Index of every user and item in `ratings` (pass all ratings, not a training split)."""
    users = np.unique(ratings["user"].to_numpy(dtype=np.int64))
    items = np.unique(ratings["item"].to_numpy(dtype=np.int64))
    users.flags.writeable = False
    items.flags.writeable = False
    return RatingIndex(users=users, items=items)


def random_holdout(
    ratings: pd.DataFrame, test_fraction: float = 0.1, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A uniformly random `test_fraction` of the ratings as test (d2l's AutoRec uses 90/10)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(len(ratings))
    test = np.zeros(len(ratings), dtype=bool)
    test[order[: round(len(ratings) * test_fraction)]] = True
    return ratings[~test], ratings[test]


def kfold_u_style(
    ratings: pd.DataFrame, folds: int = 5, fold: int = 1, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split `fold` (1-based) of a seeded k-fold partition, like GroupLens' u1.base/u1.test.

    The ratings are shuffled once and cut into `folds` near-equal parts; fold k tests on part k
    and trains on the rest, so across folds 1..k every rating is tested exactly once (80/20 for
    five folds). The same seed must be used for every fold.
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds!r}")
    if not 1 <= fold <= folds:
        raise ValueError(f"fold must lie in 1..{folds} (like u1..u{folds}), got {fold!r}")
    order = np.random.default_rng(seed).permutation(len(ratings))
    test = np.zeros(len(ratings), dtype=bool)
    test[np.array_split(order, folds)[fold - 1]] = True
    return ratings[~test], ratings[test]


def per_user_holdout(
    ratings: pd.DataFrame, n_per_user: int = 1, seed: int = 0, min_ratings: int = 2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`n_per_user` random ratings of each user with at least `min_ratings` as test (for ranking
    metrics); users with fewer stay whole in train. `min_ratings > n_per_user` keeps every
    tested user in train."""
    if n_per_user < 1:
        raise ValueError(f"n_per_user must be at least 1, got {n_per_user!r}")
    if min_ratings <= n_per_user:
        raise ValueError(
            f"min_ratings ({min_ratings}) must exceed n_per_user ({n_per_user}), or a tested "
            "user would have no training ratings"
        )
    users = ratings["user"].to_numpy()
    keys = np.random.default_rng(seed).random(len(ratings))
    order = np.lexsort((keys, users))  # grouped by user, shuffled within each user
    _, starts, counts = np.unique(users[order], return_index=True, return_counts=True)
    rank = np.arange(len(order)) - np.repeat(starts, counts)
    eligible = np.repeat(counts >= min_ratings, counts)
    test = np.zeros(len(ratings), dtype=bool)
    test[order[(rank < n_per_user) & eligible]] = True
    return ratings[~test], ratings[test]


def to_matrix(ratings: pd.DataFrame, index: RatingIndex, by: Orientation = "user") -> sp.csr_matrix:
    """Sparse float64 ratings, users x items (`by="user"`) or items x users (`by="item"`).

    Built in one vectorised step; a (user, item) pair given twice is an error, since scipy
    would silently add the two ratings.
    """
    if by not in ("user", "item"):
        raise ValueError(f"by must be 'user' or 'item', got {by!r}")
    rows = index.user_rows(ratings["user"])
    cols = index.item_cols(ratings["item"])
    shape = (index.n_users, index.n_items)
    if by == "item":
        rows, cols, shape = cols, rows, (index.n_items, index.n_users)
    values = ratings["rating"].to_numpy(dtype=np.float64)
    matrix = sp.csr_matrix((values, (rows, cols)), shape=shape)
    if matrix.nnz != len(ratings):
        raise ValueError(
            f"{len(ratings) - matrix.nnz} (user, item) pair(s) appear more than once; "
            "deduplicate the ratings first (movielens keeps the latest)"
        )
    return matrix


def dense_with_mask(matrix: sp.csr_matrix) -> tuple[torch.Tensor, torch.Tensor]:
    """(float32 values, bool mask) dense tensors: unobserved entries are 0 with mask False.

    The mask follows the sparsity structure, not the values, so a stored 0 counts as observed.
    """
    csr = sp.csr_matrix(matrix)
    values = torch.from_numpy(csr.toarray().astype(np.float32, copy=False))
    observed = sp.csr_matrix(
        (np.ones(csr.nnz, dtype=bool), csr.indices, csr.indptr), shape=csr.shape
    )
    return values, torch.from_numpy(observed.toarray())


def _positions(known: np.ndarray, raw: np.ndarray | pd.Series, what: str) -> np.ndarray:
    ids = np.asarray(raw, dtype=np.int64)
    at = np.searchsorted(known, ids)
    found = at < len(known)
    found[found] = known[at[found]] == ids[found]
    if not found.all():
        missing = np.unique(ids[~found])
        raise ValueError(
            f"{len(missing)} {what} id(s) not in the index: {missing[:20].tolist()}; build the "
            "index from all ratings before splitting"
        )
    return at
