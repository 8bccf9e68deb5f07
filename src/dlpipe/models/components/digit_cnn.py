"""The small CNN that judges generated digits: its logits score them, its features compare sets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


class DigitCNN(nn.Module):
    """(N, side*side), (N, side, side) or (N, 1, side, side) images in [0, 1] -> (N, n_classes).

    One block per entry of `channels`: 3x3 Conv2d ("same") -> MaxPool2d(2) -> BatchNorm2d -> ReLU;
    then Flatten -> Linear(dense) -> ReLU (the `features` a Frechet distance compares) ->
    Dropout -> Linear(n_classes). Pooling before the norm and the ReLU does their per-pixel work
    on a quarter of the pixels: on one CPU core that work, not the convolutions, dominated an
    epoch (about 25% faster, same accuracy). Batch norm lets five epochs of Adam reach ~99%.
    Flat inputs are accepted because the data loaders and the generators produce them.
    `init_kwargs`: the constructor's arguments, plain values (a checkpoint rebuilds from them).
    """

    def __init__(
        self,
        n_classes: int,
        channels: Sequence[int],
        dense: int,
        dropout: float,
        size: int = 28,
    ) -> None:
        super().__init__()
        if not channels or min(channels) < 1:
            raise ValueError(f"channels must list at least one positive width, got {channels}")
        if n_classes < 2 or dense < 1 or not 0.0 <= dropout < 1.0:
            raise ValueError(
                f"need n_classes >= 2, dense >= 1, 0 <= dropout < 1; got {n_classes}, {dense}, "
                f"{dropout}"
            )
        side = size >> len(channels)
        if side < 1:
            raise ValueError(
                f"a {size}x{size} image is too small for {len(channels)} pooling blocks"
            )
        self.n_classes, self.size, self.dense = int(n_classes), int(size), int(dense)
        self.init_kwargs: dict[str, Any] = {
            "n_classes": int(n_classes),
            "channels": [int(c) for c in channels],
            "dense": int(dense),
            "dropout": float(dropout),
            "size": int(size),
        }
        layers: list[nn.Module] = []
        width = 1
        for out in channels:
            layers += [
                nn.Conv2d(width, out, 3, padding=1, bias=False),
                nn.MaxPool2d(2),
                nn.BatchNorm2d(out),
                nn.ReLU(),
            ]
            width = out
        self.blocks = nn.Sequential(*layers)
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(width * side * side, dense), nn.ReLU())
        self.classify = nn.Sequential(nn.Dropout(dropout), nn.Linear(dense, n_classes))

    def as_images(self, x: torch.Tensor) -> torch.Tensor:
        """Any accepted layout as (N, 1, size, size)."""
        if math.prod(x.shape[1:]) != self.size * self.size:
            raise ValueError(
                f"expected {self.size}x{self.size} images, got a batch of shape {tuple(x.shape)}"
            )
        return x.reshape(len(x), 1, self.size, self.size)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, dense) penultimate activations (after the ReLU, before dropout)."""
        return self.embed(self.blocks(self.as_images(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x))
