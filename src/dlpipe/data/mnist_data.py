"""MNIST as in-memory tensors with batched indexing (no per-sample Python work per batch)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from dlpipe.data.tensor_data import ResumableOrder, SeededLoader, TensorPairs, tensor_loader
from dlpipe.datasets.mnist import MnistSplits, load_splits


def to_tensors(images, labels) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, 28, 28) -> float32 in [0, 1] (N, 784); labels -> int64."""
    x = torch.from_numpy(images).reshape(len(images), -1).float().div_(255.0)
    return x, torch.from_numpy(labels).long()


def limit_training(splits: MnistSplits, limit: int, seed: int) -> MnistSplits:
    """`splits` with a seeded random `limit` of its training images (in their original order);
    all of them when `limit` is 0 or not smaller than the split. Val and test stay whole."""
    n = len(splits.train_y)
    if not 0 < limit < n:
        return splits
    keep = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:limit]
    keep = np.sort(keep.numpy())
    return replace(splits, train_x=splits.train_x[keep], train_y=splits.train_y[keep])


class MnistDataModule(ResumableOrder):
    """Train/val/test loaders; the training order is a function of `seed` alone.

    `train_limit` > 0 keeps a seeded random subset of the training set (a smaller CPU budget).
    """

    def __init__(
        self, path: Path, batch_size: int, seed: int, train_limit: int = 0, num_workers: int = 0
    ) -> None:
        super().__init__()
        self.path = path
        self.batch_size = batch_size
        self.seed = seed
        self.train_limit = train_limit
        self.num_workers = num_workers
        self.splits: MnistSplits | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.splits is not None:
            return
        splits = load_splits(self.path)
        self.train = TensorPairs(*to_tensors(splits.train_x, splits.train_y))
        self.val = TensorPairs(*to_tensors(splits.val_x, splits.val_y))
        self.test = TensorPairs(*to_tensors(splits.test_x, splits.test_y))
        if 0 < self.train_limit < len(self.train):
            keep = torch.randperm(len(self.train), generator=self._generator())[: self.train_limit]
            self.train = TensorPairs(self.train.x[keep], self.train.y[keep])
        self.splits = splits

    def _generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed)

    def _loader(self, data: TensorPairs, shuffle: bool) -> SeededLoader:
        return tensor_loader(data, self.batch_size, shuffle, self.seed, self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self.resumable(self._loader(self.train, shuffle=True))

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test, shuffle=False)
