"""In-memory (x, y) tensors served in batches with one index operation per batch."""

from __future__ import annotations

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, Dataset

Batch = tuple[torch.Tensor, torch.Tensor]


class TensorPairs(Dataset[Batch]):
    """(x, y) tensors; `__getitems__` lets DataLoader fetch a whole batch with one index op."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> Batch:
        return self.x[index], self.y[index]

    def __getitems__(self, indices: list[int]) -> Batch:
        idx = torch.as_tensor(indices)
        return self.x[idx], self.y[idx]


def keep_batch(batch: Batch) -> Batch:
    """collate_fn for TensorPairs: the batch is already stacked."""
    return batch


def tensor_loader(
    data: TensorPairs, batch_size: int, shuffle: bool, seed: int, num_workers: int = 0
) -> DataLoader:
    """A loader whose order depends on `seed` alone (a fresh generator per loader)."""
    return DataLoader(
        data,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed) if shuffle else None,
        collate_fn=keep_batch,
        num_workers=num_workers,
    )


class PairsDataModule(pl.LightningDataModule):
    """Ready (x, y) tensors per split as a DataModule; the training order depends on `seed` alone.

    `eval_batch_size` (default: `batch_size`) serves validation and test.
    """

    def __init__(
        self,
        train: TensorPairs,
        val: TensorPairs,
        batch_size: int,
        seed: int,
        *,
        test: TensorPairs | None = None,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.pairs = {"train": train, "val": val, "test": test}
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size or batch_size
        self.seed = seed
        self.num_workers = num_workers

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        data = self.pairs[split]
        if data is None:
            raise ValueError(f"this DataModule has no {split!r} split")
        size = self.batch_size if split == "train" else self.eval_batch_size
        return tensor_loader(data, size, shuffle, self.seed, self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
