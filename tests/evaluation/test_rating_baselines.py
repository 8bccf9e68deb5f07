"""Rating baselines on synthetic data with a known answer: exact mean, planted biases, planted
low rank, seeding, unknown ids, clipping, and the Funk-SVD updates against a per-rating loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlpipe.evaluation.errors import rmse
from dlpipe.evaluation.rating_baselines import (
    Biases,
    GlobalMean,
    MatrixFactorization,
    fit_funk_svd,
)


def frame(users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": np.asarray(users, dtype=np.int64),
            "item": np.asarray(items, dtype=np.int64),
            "rating": np.asarray(ratings, dtype=np.float64),
            "timestamp": np.arange(len(users), dtype=np.int64),
        }
    )


def planted(
    matrix: np.ndarray, observed: float, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train/test frames from a full (users, items) matrix, with raw ids offset from positions
    (users 100.., items 500..) so nothing relies on ids being indices."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices(matrix.shape).reshape(2, -1)
    ratings = matrix.ravel()
    in_train = rng.random(ratings.size) < observed
    full = frame(rows + 100, cols + 500, ratings)
    return full[in_train], full[~in_train]


def test_global_mean_is_exact() -> None:
    train = frame([1, 1, 2, 3], [10, 11, 10, 12], [1.0, 2.0, 4.0, 5.0])
    model = GlobalMean().fit(train)
    assert model.predict(np.array([1, 99]), np.array([12, 77])).tolist() == [3.0, 3.0]
    assert model.score_matrix(np.array([1, 2, 3]), np.array([10, 11])).tolist() == [[3.0] * 2] * 3


def test_biases_recover_planted_biases() -> None:
    rng = np.random.default_rng(1)
    b_user, b_item = rng.uniform(-1, 1, 40), rng.uniform(-1, 1, 30)
    train, test = planted(3.5 + b_user[:, None] + b_item[None, :], observed=0.6)
    model = Biases(reg_u=1e-6, reg_i=1e-6, n_iter=200).fit(train)
    # Biases are identified only up to a constant shared with mu: compare them centred.
    fitted_user, fitted_item = model.user_bias_, model.item_bias_
    centred = np.c_[fitted_user - fitted_user.mean(), b_user - b_user.mean()]
    np.testing.assert_allclose(*centred.T, atol=1e-3)
    np.testing.assert_allclose(fitted_item - fitted_item.mean(), b_item - b_item.mean(), atol=1e-3)
    predicted = model.predict(test["user"].to_numpy(), test["item"].to_numpy())
    np.testing.assert_allclose(predicted, test["rating"], atol=1e-3)


def test_biases_shrink_towards_zero_with_regularisation() -> None:
    train = frame([1, 1, 2], [10, 11, 10], [5.0, 5.0, 1.0])
    loose = Biases(reg_u=0.0, reg_i=0.0).fit(train)
    tight = Biases(reg_u=100.0, reg_i=100.0).fit(train)
    assert np.abs(tight.user_bias_).max() < 0.05 < np.abs(loose.user_bias_).max()


def low_rank_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(2)
    user_factors, item_factors = rng.normal(size=(60, 3)), rng.normal(size=(50, 3))
    return planted(3.0 + 0.6 * user_factors @ item_factors.T, observed=0.5)


def test_matrix_factorization_fits_low_rank_much_better_than_biases() -> None:
    train, test = low_rank_frames()
    actual = test["rating"].to_numpy()
    users, items = test["user"].to_numpy(), test["item"].to_numpy()
    mf = MatrixFactorization(n_factors=3, lr=0.02, reg=0.01, epochs=150, batch_size=16, seed=0)
    mf_error = rmse(actual, mf.fit(train).predict(users, items))
    bias_error = rmse(actual, Biases().fit(train).predict(users, items))
    assert mf_error < 0.3 * bias_error


def test_matrix_factorization_is_seeded() -> None:
    train, test = low_rank_frames()
    users, items = test["user"].to_numpy(), test["item"].to_numpy()

    def predictions(seed: int) -> np.ndarray:
        return (
            MatrixFactorization(n_factors=4, epochs=3, seed=seed).fit(train).predict(users, items)
        )

    np.testing.assert_array_equal(predictions(0), predictions(0))
    assert not np.allclose(predictions(0), predictions(1))


def test_funk_svd_updates_match_a_per_rating_loop() -> None:
    rng = np.random.default_rng(3)
    users, items = rng.integers(0, 5, 30), rng.integers(0, 4, 30)
    residuals = rng.normal(size=30)
    hyper = {"n_factors": 2, "lr": 0.05, "reg": 0.1, "epochs": 2, "init_std": 0.1, "seed": 7}
    fitted = fit_funk_svd(users, items, residuals, (5, 4), batch_size=1, **hyper)

    # The same random stream, spent in the same order, with the textbook per-rating updates.
    ref_rng = np.random.default_rng(7)
    b_user, b_item = np.zeros(5), np.zeros(4)
    p, q = ref_rng.normal(0, 0.1, (5, 2)), ref_rng.normal(0, 0.1, (4, 2))
    lr, reg = 0.05, 0.1
    for _ in range(2):
        for n in ref_rng.permutation(30):
            u, i = users[n], items[n]
            err = residuals[n] - b_user[u] - b_item[i] - p[u] @ q[i]
            b_user[u] += lr * (err - reg * b_user[u])
            b_item[i] += lr * (err - reg * b_item[i])
            p[u], q[i] = (
                p[u] + lr * (err * q[i] - reg * p[u]),
                q[i] + lr * (err * p[u] - reg * q[i]),
            )
    for got, want in zip(fitted, (b_user, b_item, p, q), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_unknown_users_and_items_fall_back_to_what_is_known() -> None:
    train = frame([1, 1, 2, 2], [10, 11, 10, 11], [5.0, 4.0, 3.0, 2.0])
    for model in (Biases(reg_u=0.0, reg_i=0.0), MatrixFactorization(n_factors=2, seed=0)):
        model.fit(train)
        known_user = model.mu_ + model.user_bias_[0]  # user 1, item unknown
        known_item = model.mu_ + model.item_bias_[1]  # item 11, user unknown
        predicted = model.predict(np.array([1, 9, 9]), np.array([99, 11, 99]))
        np.testing.assert_allclose(predicted, [known_user, known_item, model.mu_])
        scores = model.score_matrix(np.array([9]), np.array([99, 11]))
        np.testing.assert_allclose(scores, [[model.mu_, known_item]])


def test_predictions_are_clipped_to_the_rating_range() -> None:
    # User 1 and item 10 are both far above the mean, so mu + b_u + b_i exceeds 5.
    train = frame([1, 1, 2, 3, 2, 3], [10, 11, 10, 12, 12, 11], [5.0, 5.0, 5.0, 5.0, 1.0, 1.0])
    model = Biases(reg_u=0.0, reg_i=0.0).fit(train)
    assert model.range_ == (1.0, 5.0)
    assert model.score_matrix(np.array([1]), np.array([10]), clip=False)[0, 0] > 5.0
    assert model.predict(np.array([1]), np.array([10])).tolist() == [5.0]
    assert model.score_matrix(np.array([1]), np.array([10])).tolist() == [[5.0]]
    narrow = GlobalMean(rating_range=(1.0, 2.5)).fit(train)
    assert narrow.predict(np.array([1]), np.array([10])).tolist() == [2.5]


def test_bad_use_is_rejected() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        GlobalMean().predict(np.array([1]), np.array([1]))
    with pytest.raises(ValueError, match="missing columns"):
        Biases().fit(pd.DataFrame({"user": [1], "item": [2]}))
    with pytest.raises(ValueError, match="rating_range"):
        GlobalMean(rating_range=(5.0, 1.0))
    with pytest.raises(ValueError, match="n_factors"):
        MatrixFactorization(n_factors=0)
    model = GlobalMean().fit(frame([1], [2], [3.0]))
    with pytest.raises(ValueError, match="users but"):
        model.predict(np.array([1, 2]), np.array([2]))
