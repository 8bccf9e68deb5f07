"""Shared fixtures: small, synthetic stand-ins for the real data, made fresh in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dlpipe.config import TrainingConfig
from dlpipe.datasets.mnist import MnistSplits, save_splits
from postgres_cluster import PostgresCluster, postgres_cluster
from synthetic_data import synthetic_mnist


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


@pytest.fixture
def mnist_splits() -> MnistSplits:
    return synthetic_mnist()


@pytest.fixture
def mnist_npz(tmp_path: Path) -> Path:
    path = tmp_path / "mnist.npz"
    save_splits(synthetic_mnist(), path)
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One private PostgreSQL cluster on 127.0.0.1 for the session (about 2 s to start); each
    test creates its own database in it."""
    with postgres_cluster() as cluster:
        yield cluster
