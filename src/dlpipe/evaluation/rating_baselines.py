"""Rating-prediction baselines the autoencoders must beat: the global mean, user + item biases
(surprise's BaselineOnly) and Funk-SVD matrix factorisation (surprise's SVD).

Each fits on the training frame only (columns user, item, rating; raw ids), predicts for any
(user, item) pairs and clips to the rating range. A user or item unseen in training adds nothing
beyond what is known: a zero bias and a zero factor vector, so the fallback is the global mean
plus the known side's bias.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

COLUMNS = ("user", "item", "rating")


def _lookup(index: pd.Index, ids: np.ndarray) -> np.ndarray:
    """Position of each raw id in index, -1 where it is unknown."""
    return index.get_indexer(np.asarray(ids).ravel())


def _known(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """values[codes] with zeros (rows of zeros for 2-D values) where a code is -1."""
    out = values[np.maximum(codes, 0)]
    out[codes < 0] = 0.0
    return out


class _RatingBaseline:
    """Raw-id encoding, the fitted global mean and clipping, shared by every baseline.
    Subclasses implement _fit, _predict (aligned codes) and _scores (a codes x codes grid)."""

    def __init__(self, rating_range: tuple[float, float] | None = None) -> None:
        if rating_range is not None and not rating_range[0] < rating_range[1]:
            raise ValueError(
                f"rating_range must be (low, high) with low < high, got {rating_range}"
            )
        self.rating_range = rating_range
        self.users_: pd.Index | None = None
        self.items_: pd.Index | None = None
        self.mu_ = 0.0
        self.range_ = (-np.inf, np.inf)

    def fit(self, train: pd.DataFrame) -> Self:
        """Fit on the training ratings; the rating range, unless given, is the observed one."""
        missing = set(COLUMNS) - set(train.columns)
        if missing:
            raise ValueError(f"train is missing columns {sorted(missing)}")
        ratings = train["rating"].to_numpy(dtype=np.float64)
        if len(ratings) == 0 or not np.isfinite(ratings).all():
            raise ValueError("train needs at least one rating and only finite ones")
        self.users_ = pd.Index(np.unique(train["user"].to_numpy()))
        self.items_ = pd.Index(np.unique(train["item"].to_numpy()))
        self.mu_ = float(ratings.mean())
        self.range_ = self.rating_range or (float(ratings.min()), float(ratings.max()))
        users = self.users_.get_indexer(train["user"].to_numpy())
        items = self.items_.get_indexer(train["item"].to_numpy())
        self._fit(users, items, ratings, (len(self.users_), len(self.items_)))
        return self

    def _codes(self, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.users_ is None or self.items_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(train) first")
        return _lookup(self.users_, users), _lookup(self.items_, items)

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Predicted ratings for aligned raw user and item ids, clipped to the rating range."""
        u, i = self._codes(users, items)
        if u.shape != i.shape:
            raise ValueError(f"{u.size} users but {i.size} items")
        return np.clip(self._predict(u, i), *self.range_)

    def score_matrix(
        self, user_ids: np.ndarray, item_ids: np.ndarray, clip: bool = True
    ) -> np.ndarray:
        """(len(user_ids), len(item_ids)) predicted ratings for ranking. clip=False keeps the
        order among items predicted above the top rating, which clipping turns into ties."""
        u, i = self._codes(user_ids, item_ids)
        scores = self._scores(u, i)
        return np.clip(scores, *self.range_) if clip else scores

    def _fit(
        self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, shape: tuple[int, int]
    ) -> None:
        raise NotImplementedError

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class GlobalMean(_RatingBaseline):
    """Every rating is the training mean: the floor any model must clear."""

    def _fit(
        self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, shape: tuple[int, int]
    ) -> None:
        pass

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.full(users.shape, self.mu_)

    def _scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.full((users.size, items.size), self.mu_)


def fit_biases(
    users: np.ndarray,
    items: np.ndarray,
    residuals: np.ndarray,
    shape: tuple[int, int],
    reg_u: float,
    reg_i: float,
    n_iter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """User and item biases minimising squared error + reg_u |b_u|^2 + reg_i |b_i|^2 on residuals
    (ratings minus the global mean), by alternating exact updates as in surprise's ALS:
    b_u = sum(res - b_i) / (reg_u + n_u), then b_i = sum(res - b_u) / (reg_i + n_i)."""
    n_users, n_items = shape
    user_counts = np.bincount(users, minlength=n_users)
    item_counts = np.bincount(items, minlength=n_items)
    b_user, b_item = np.zeros(n_users), np.zeros(n_items)
    for _ in range(n_iter):
        b_user = np.bincount(users, residuals - b_item[items], n_users) / (reg_u + user_counts)
        b_item = np.bincount(items, residuals - b_user[users], n_items) / (reg_i + item_counts)
    return b_user, b_item


class Biases(_RatingBaseline):
    """mu + b_u + b_i with L2-regularised biases (surprise's BaselineOnly with ALS; its defaults
    reg_u=15, reg_i=10, 10 iterations)."""

    def __init__(
        self,
        reg_u: float = 15.0,
        reg_i: float = 10.0,
        n_iter: int = 10,
        rating_range: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(rating_range)
        if reg_u < 0 or reg_i < 0 or n_iter < 1:
            raise ValueError(f"need reg_u, reg_i >= 0 and n_iter >= 1, got {reg_u, reg_i, n_iter}")
        self.reg_u, self.reg_i, self.n_iter = reg_u, reg_i, n_iter
        self.user_bias_ = np.zeros(0)
        self.item_bias_ = np.zeros(0)

    def _fit(
        self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, shape: tuple[int, int]
    ) -> None:
        self.user_bias_, self.item_bias_ = fit_biases(
            users, items, ratings - self.mu_, shape, self.reg_u, self.reg_i, self.n_iter
        )

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.mu_ + _known(self.user_bias_, users) + _known(self.item_bias_, items)

    def _scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        b_user, b_item = _known(self.user_bias_, users), _known(self.item_bias_, items)
        return self.mu_ + b_user[:, None] + b_item[None, :]


def fit_funk_svd(
    users: np.ndarray,
    items: np.ndarray,
    residuals: np.ndarray,
    shape: tuple[int, int],
    *,
    n_factors: int,
    lr: float,
    reg: float,
    epochs: int,
    init_std: float,
    batch_size: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(b_u, b_i, P, Q) fit to residuals (ratings minus the global mean) by Funk-SVD SGD over
    shuffled ratings: with e = res - b_u - b_i - p_u.q_i,
    b_u += lr (e - reg b_u), b_i += lr (e - reg b_i), p_u += lr (e q_i - reg p_u),
    q_i += lr (e p_u - reg q_i). Updates are summed over mini-batches of batch_size ratings
    (np.add.at), which matches per-rating SGD closely for small batches at numpy speed."""
    rng = np.random.default_rng(seed)
    n_users, n_items = shape
    b_user, b_item = np.zeros(n_users), np.zeros(n_items)
    p = rng.normal(0.0, init_std, (n_users, n_factors))
    q = rng.normal(0.0, init_std, (n_items, n_factors))
    for _ in range(epochs):
        order = rng.permutation(len(residuals))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            u, i = users[batch], items[batch]
            pu, qi = p[u], q[i]
            err = residuals[batch] - b_user[u] - b_item[i] - np.einsum("nf,nf->n", pu, qi)
            np.add.at(b_user, u, lr * (err - reg * b_user[u]))
            np.add.at(b_item, i, lr * (err - reg * b_item[i]))
            np.add.at(p, u, lr * (err[:, None] * qi - reg * pu))
            np.add.at(q, i, lr * (err[:, None] * pu - reg * qi))
    return b_user, b_item, p, q


class MatrixFactorization(_RatingBaseline):
    """mu + b_u + b_i + p_u.q_i trained by Funk-SVD SGD (surprise's SVD and its defaults: 50
    factors, lr 0.005, reg 0.02, 20 epochs, factors initialised N(0, 0.1^2)); seeded."""

    def __init__(
        self,
        n_factors: int = 50,
        lr: float = 0.005,
        reg: float = 0.02,
        epochs: int = 20,
        init_std: float = 0.1,
        batch_size: int = 128,
        seed: int = 0,
        rating_range: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(rating_range)
        if min(n_factors, epochs, batch_size) < 1 or lr <= 0 or reg < 0 or init_std < 0:
            raise ValueError("need n_factors, epochs, batch_size >= 1, lr > 0, reg, init_std >= 0")
        self.n_factors, self.lr, self.reg, self.epochs = n_factors, lr, reg, epochs
        self.init_std, self.batch_size, self.seed = init_std, batch_size, seed
        self.user_bias_, self.item_bias_ = np.zeros(0), np.zeros(0)
        self.user_factors_ = np.zeros((0, n_factors))
        self.item_factors_ = np.zeros((0, n_factors))

    def _fit(
        self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, shape: tuple[int, int]
    ) -> None:
        fitted = fit_funk_svd(
            users,
            items,
            ratings - self.mu_,
            shape,
            n_factors=self.n_factors,
            lr=self.lr,
            reg=self.reg,
            epochs=self.epochs,
            init_std=self.init_std,
            batch_size=self.batch_size,
            seed=self.seed,
        )
        self.user_bias_, self.item_bias_, self.user_factors_, self.item_factors_ = fitted

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        p, q = _known(self.user_factors_, users), _known(self.item_factors_, items)
        biases = _known(self.user_bias_, users) + _known(self.item_bias_, items)
        return self.mu_ + biases + np.einsum("nf,nf->n", p, q)

    def _scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        p, q = _known(self.user_factors_, users), _known(self.item_factors_, items)
        b_user, b_item = _known(self.user_bias_, users), _known(self.item_bias_, items)
        return self.mu_ + b_user[:, None] + b_item[None, :] + p @ q.T
