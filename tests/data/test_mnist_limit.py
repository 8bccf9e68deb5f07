"""`limit_training`: a seeded random subset of the training images; val and test stay whole."""

from __future__ import annotations

import numpy as np

from dlpipe.data.mnist_data import limit_training
from synthetic_data import synthetic_mnist


def test_a_limit_keeps_a_seeded_subset_in_order_and_zero_keeps_all() -> None:
    splits = synthetic_mnist(n_train=50, n_other=10)
    limited = limit_training(splits, 20, seed=3)
    assert len(limited.train_x) == len(limited.train_y) == 20
    assert limited.val_x is splits.val_x and limited.test_y is splits.test_y
    rows = [
        int(np.flatnonzero((splits.train_x == image).all(axis=(1, 2)))[0])
        for image in limited.train_x
    ]
    assert rows == sorted(rows) and np.array_equal(splits.train_y[rows], limited.train_y)
    assert np.array_equal(limit_training(splits, 20, seed=3).train_x, limited.train_x)
    assert not np.array_equal(limit_training(splits, 20, seed=4).train_x, limited.train_x)
    assert limit_training(splits, 0, seed=3) is splits
    assert limit_training(splits, 50, seed=3) is splits
