"""In-memory (x, y) tensors served in batches with one index operation per batch."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.trainer.states import TrainerFn
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


class SeededLoader(DataLoader):
    """A DataLoader whose draws (shuffled order, sampler's picks) come from its own generators,
    whose state it can hand over and take back (`ResumableOrder`)."""

    def generators(self) -> list[torch.Generator]:
        """The loader's generator and its sampler's (often the same object), each once."""
        found: list[torch.Generator] = []
        for generator in (self.generator, getattr(self.sampler, "generator", None)):
            if generator is not None and all(generator is not g for g in found):
                found.append(generator)
        return found

    def generator_states(self) -> list[torch.Tensor]:
        return [g.get_state() for g in self.generators()]

    def set_generator_states(self, states: list[torch.Tensor]) -> None:
        for generator, state in zip(self.generators(), states, strict=True):
            generator.set_state(state)


class ResumableOrder(pl.LightningDataModule):
    """A DataModule whose training order continues across a resume (dlpipe.training.resume).

    Lightning saves a DataModule's `state_dict` in every checkpoint and, when resuming, loads it
    before it asks for the training loader; the loader's generators then start from the state
    they had when the checkpoint was written, so the next epochs draw the batches of an
    uninterrupted fit. (Lightning restores a stateful loader itself only from a mid-epoch
    checkpoint, and ours are written at epoch ends.) A subclass returns its training loader
    through `resumable`.
    """

    def __init__(self) -> None:
        super().__init__()
        self._train_loader: SeededLoader | None = None
        self._saved_order: list[torch.Tensor] | None = None

    def resumable(self, loader: SeededLoader) -> SeededLoader:
        """`loader`, its generators set to the resumed checkpoint's state if there is one."""
        if self._saved_order is not None:
            loader.set_generator_states(self._saved_order)
            self._saved_order = None
        self._train_loader = loader
        return loader

    def state_dict(self) -> dict[str, Any]:
        if self._train_loader is None:
            return {}
        return {"train_order": self._train_loader.generator_states()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Kept for the training loader when a fit resumes; ignored when `validate` or `test`
        loads a checkpoint (the order is the fit's business)."""
        if self.trainer is not None and self.trainer.state.fn == TrainerFn.FITTING:
            self._saved_order = state_dict.get("train_order")


def tensor_loader(
    data: TensorPairs, batch_size: int, shuffle: bool, seed: int, num_workers: int = 0
) -> SeededLoader:
    """A loader whose order depends on `seed` alone (a fresh generator per loader)."""
    return SeededLoader(
        data,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed) if shuffle else None,
        collate_fn=keep_batch,
        num_workers=num_workers,
    )


class PairsDataModule(ResumableOrder):
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

    def _loader(self, split: str, shuffle: bool) -> SeededLoader:
        data = self.pairs[split]
        if data is None:
            raise ValueError(f"this DataModule has no {split!r} split")
        size = self.batch_size if split == "train" else self.eval_batch_size
        return tensor_loader(data, size, shuffle, self.seed, self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self.resumable(self._loader("train", shuffle=True))

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
