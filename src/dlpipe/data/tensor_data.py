"""In-memory (x, y) tensors served in batches with one index operation per batch."""

from __future__ import annotations

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
