"""A plain multilayer perceptron."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


class MLP(nn.Module):
    """Flatten, then Linear-ReLU(-Dropout) blocks and a linear output layer (logits).

    `init_kwargs`: the constructor's arguments, plain values (a checkpoint rebuilds from them).
    """

    def __init__(
        self, in_features: int, hidden_sizes: Sequence[int], out_features: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.init_kwargs: dict[str, Any] = {
            "in_features": int(in_features),
            "hidden_sizes": [int(size) for size in hidden_sizes],
            "out_features": int(out_features),
            "dropout": float(dropout),
        }
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
