"""The course's face CNN: conv/ReLU/pool blocks, then dense layers with dropout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from dlpipe.models.components.mlp import MLP


def pooled_side(size: int, n_blocks: int) -> int:
    """The feature map's side after `n_blocks` 2x2 max-pools (each floors an odd side)."""
    for _ in range(n_blocks):
        size //= 2
    return size


class FaceCNN(nn.Module):
    """(N, in_channels, size, size) images in [0, 1] -> (N, n_classes) logits.

    One block per entry of `channels`: Conv2d with "same" padding [-> BatchNorm2d] -> ReLU ->
    MaxPool2d(2); then Flatten -> (Linear -> ReLU -> Dropout) per entry of `dense` -> Linear.
    With batch norm the convolutions carry no bias (the norm's shift replaces it). `init_kwargs`:
    the constructor's arguments, plain values (a checkpoint rebuilds from them).
    """

    def __init__(
        self,
        in_channels: int,
        size: int,
        n_classes: int,
        channels: Sequence[int],
        kernel_size: int,
        dense: Sequence[int],
        dropout: float,
        batch_norm: bool,
    ) -> None:
        super().__init__()
        if not channels:
            raise ValueError("channels must list at least one convolution block")
        if in_channels < 1 or n_classes < 2 or kernel_size < 1:
            raise ValueError(
                f"need in_channels >= 1, n_classes >= 2, kernel_size >= 1; got {in_channels}, "
                f"{n_classes}, {kernel_size}"
            )
        side = pooled_side(size, len(channels))
        if side < 1:
            raise ValueError(
                f"a {size}x{size} input is too small for {len(channels)} pooling blocks (each "
                f"halves the side); use an input side of at least {2 ** len(channels)} or fewer "
                "channels entries"
            )
        self.in_channels, self.size, self.n_classes = in_channels, size, n_classes
        self.init_kwargs: dict[str, Any] = {
            "in_channels": int(in_channels),
            "size": int(size),
            "n_classes": int(n_classes),
            "channels": [int(c) for c in channels],
            "kernel_size": int(kernel_size),
            "dense": [int(d) for d in dense],
            "dropout": float(dropout),
            "batch_norm": bool(batch_norm),
        }
        layers: list[nn.Module] = []
        width = in_channels
        for out in channels:
            layers.append(nn.Conv2d(width, out, kernel_size, padding="same", bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            width = out
        self.features = nn.Sequential(*layers)
        # Flatten, then the dense layers: the same head as the course's MLP.
        self.head = MLP(width * side * side, dense, n_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
