"""Shared fixtures: small, synthetic stand-ins for the real data, made fresh in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlpipe.config import TrainingConfig
from dlpipe.datasets.mnist import MnistSplits, save_splits


@pytest.fixture
def cpu_training() -> TrainingConfig:
    return TrainingConfig(
        accelerator="cpu",
        devices=1,
        cpu_threads=1,
        deterministic=True,
        progress_bar=False,
        num_workers=0,
        log_every_n_steps=1,
    )


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


@pytest.fixture
def mnist_splits() -> MnistSplits:
    return synthetic_mnist()


@pytest.fixture
def mnist_npz(tmp_path: Path) -> Path:
    path = tmp_path / "mnist.npz"
    save_splits(synthetic_mnist(), path)
    return path
