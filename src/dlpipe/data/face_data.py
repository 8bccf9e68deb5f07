"""Face crops per split as tensors, and the loaders that feed them (optionally class-balanced).

Classes are unequal (one person may have twice another's photos), so training can either weight
the loss (`class_weights`) or draw batches with equal expected counts (`balanced_sampler`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, WeightedRandomSampler

from dlpipe.data.tensor_data import (
    ResumableOrder,
    SeededLoader,
    TensorPairs,
    keep_batch,
    tensor_loader,
)


@dataclass(frozen=True)
class FaceSplits:
    """uint8 crops (N, H, W) grey or (N, H, W, 3) RGB and int64 labels per split name."""

    x: Mapping[str, np.ndarray]
    y: Mapping[str, np.ndarray]
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        if set(self.x) != set(self.y):
            raise ValueError(
                f"image splits {sorted(self.x)} differ from label splits {sorted(self.y)}"
            )
        shapes = set()
        for split, images in self.x.items():
            labels = self.y[split]
            if len(images) != len(labels):
                raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
            image_channels(images)  # checks dtype and layout
            shapes.add(images.shape[1:])
            if len(labels) and (labels.min() < 0 or labels.max() >= len(self.classes)):
                raise ValueError(f"{split}: labels must lie in [0, {len(self.classes)})")
        if len(shapes) > 1:
            raise ValueError(f"splits hold images of different shapes: {sorted(shapes)}")


def image_channels(images: np.ndarray) -> int:
    """1 for (N, H, W) grey, 3 for (N, H, W, 3) RGB; anything else is an error."""
    if images.dtype != np.uint8:
        raise ValueError(f"face crops must be uint8, got {images.dtype}")
    if images.ndim == 3:
        return 1
    if images.ndim == 4 and images.shape[-1] == 3:
        return 3
    raise ValueError(f"face crops must be (N, H, W) or (N, H, W, 3), got {images.shape}")


def images_to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, 3) -> float32 (N, C, H, W) in [0, 1]."""
    channels_last = images[..., None] if image_channels(images) == 1 else images
    x = np.ascontiguousarray(channels_last.transpose(0, 3, 1, 2))
    return torch.from_numpy(x).float().div_(255.0)


def class_counts(y: np.ndarray, n_classes: int) -> np.ndarray:
    return np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes)


def class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    """n / (k * count_c) per class ("balanced"): each class then weighs the same in the loss.

    A class with no training example cannot be learnt and has no finite weight: an error.
    """
    counts = class_counts(y, n_classes)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise ValueError(f"class(es) {missing.tolist()} have no training example")
    return torch.from_numpy(len(y) / (n_classes * counts)).float()


def balanced_sampler(y: np.ndarray, n_classes: int, seed: int) -> WeightedRandomSampler:
    """Draws len(y) indices with replacement, each class equally likely; order from `seed`."""
    counts = class_counts(y, n_classes)
    weights = 1.0 / counts[np.asarray(y, dtype=np.int64)]
    return WeightedRandomSampler(
        torch.from_numpy(weights).double(),
        num_samples=len(y),
        replacement=True,
        generator=torch.Generator().manual_seed(seed),
    )


def face_pairs(data: FaceSplits, split: str) -> TensorPairs:
    return TensorPairs(images_to_tensor(data.x[split]), torch.from_numpy(data.y[split]).long())


class FaceDataModule(ResumableOrder):
    """Train/val/test loaders over in-memory crops; the training order depends on `seed` alone.

    `balanced` draws training batches through `balanced_sampler` instead of a plain shuffle.
    """

    def __init__(
        self,
        data: FaceSplits,
        batch_size: int,
        seed: int,
        balanced: bool = False,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.data = data
        self.batch_size = batch_size
        self.seed = seed
        self.balanced = balanced
        self.num_workers = num_workers
        self.pairs: dict[str, TensorPairs] = {}

    def setup(self, stage: str | None = None) -> None:
        if not self.pairs:
            self.pairs = {split: face_pairs(self.data, split) for split in self.data.x}

    def _split(self, split: str) -> TensorPairs:
        self.setup()
        if split not in self.pairs:
            raise ValueError(f"the face data has no {split!r} split (has {sorted(self.pairs)})")
        return self.pairs[split]

    def train_dataloader(self) -> DataLoader:
        train = self._split("train")
        if not self.balanced:
            return self.resumable(
                tensor_loader(train, self.batch_size, True, self.seed, self.num_workers)
            )
        sampler = balanced_sampler(self.data.y["train"], len(self.data.classes), self.seed)
        loader = SeededLoader(
            train,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=keep_batch,
            num_workers=self.num_workers,
        )
        return self.resumable(loader)

    def val_dataloader(self) -> DataLoader:
        return tensor_loader(
            self._split("val"), self.batch_size, False, self.seed, self.num_workers
        )

    def test_dataloader(self) -> DataLoader:
        return tensor_loader(
            self._split("test"), self.batch_size, False, self.seed, self.num_workers
        )
