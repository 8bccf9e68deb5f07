"""The ANN for table rows: a perceptron with one logit out, for binary classification."""

from __future__ import annotations

from typing import Any

import torch

from dlpipe.models.components.mlp import MLP


class TabularMLP(MLP):
    """n_inputs -> `hidden_layers` x [Linear(hidden_units) -> ReLU -> Dropout] -> Linear(1); the
    Dropout layers exist only when `dropout` > 0.

    `forward` returns one logit per row, shape (n,), the input BCE-with-logits expects; the
    sigmoid is left to the caller so the loss stays numerically stable. `init_kwargs` holds this
    class's own arguments, so a checkpoint rebuilds a TabularMLP, not the MLP underneath.
    """

    def __init__(
        self, n_inputs: int, hidden_units: int, hidden_layers: int = 1, dropout: float = 0.0
    ) -> None:
        if n_inputs < 1 or hidden_units < 1 or hidden_layers < 1:
            raise ValueError(
                "n_inputs, hidden_units and hidden_layers must be >= 1, got "
                f"{n_inputs}, {hidden_units}, {hidden_layers}"
            )
        super().__init__(n_inputs, [hidden_units] * hidden_layers, 1, dropout)
        self.init_kwargs: dict[str, Any] = {
            "n_inputs": int(n_inputs),
            "hidden_units": int(hidden_units),
            "hidden_layers": int(hidden_layers),
            "dropout": float(dropout),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).squeeze(-1)
