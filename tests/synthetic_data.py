"""Synthetic stand-ins for the real data, shared by fixtures and module-scoped set-ups."""

from __future__ import annotations

import numpy as np

from dlpipe.datasets.mnist import MnistSplits


def synthetic_mnist(n_train: int = 400, n_other: int = 100, seed: int = 0) -> MnistSplits:
    """Digit-like images whose class is written in a bright row, so a small MLP can learn it."""
    rng = np.random.default_rng(seed)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 10, size=n).astype(np.int64)
        x = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
        x[np.arange(n), 2 * y + 4, :] = 255
        return x, y

    (tx, ty), (vx, vy), (sx, sy) = make(n_train), make(n_other), make(n_other)
    return MnistSplits(tx, ty, vx, vy, sx, sy)
