"""Stacked LSTM with a dense head: a sequence of feature vectors in, one number out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn


class LSTMRegressor(nn.Module):
    """LSTM layers (forget/input/output gates, cell state: torch's nn.LSTM) then dense layers.

    Input (batch, window, features); output (batch,): a prediction from the last time step's
    hidden state. Dropout sits between LSTM layers and before each dense layer. `init_kwargs`:
    the constructor's arguments, plain values (a checkpoint rebuilds from them).
    """

    def __init__(
        self,
        n_features: int,
        hidden_size: int,
        num_layers: int,
        dropout: float,
        head_sizes: Sequence[int] = (),
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.init_kwargs: dict[str, Any] = {
            "n_features": int(n_features),
            "hidden_size": int(hidden_size),
            "num_layers": int(num_layers),
            "dropout": float(dropout),
            "head_sizes": [int(size) for size in head_sizes],
        }
        if num_layers < 1 or hidden_size < 1:
            raise ValueError(
                f"need num_layers >= 1 and hidden_size >= 1, got {num_layers}, {hidden_size}"
            )
        self.lstm = nn.LSTM(
            n_features,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        layers: list[nn.Module] = []
        width = hidden_size
        for size in head_sizes:
            layers += [nn.Dropout(dropout), nn.Linear(width, size), nn.ReLU()]
            width = size
        layers += [nn.Dropout(dropout), nn.Linear(width, 1)]
        self.head = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3:
            raise ValueError(f"expected (batch, window, features), got shape {tuple(x.shape)}")
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :]).squeeze(-1)
