"""Plain stochastic gradient descent, the course's baseline."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlpipe.optim._checks import check_non_negative
from dlpipe.optim.base import CourseOptimizer


class SGD(CourseOptimizer):
    """x -= lr * g.

    Identical to ``torch.optim.SGD(params, lr=lr)`` (no momentum, no weight decay).
    """

    def __init__(self, params: Iterable[Any], lr: float) -> None:
        check_non_negative("lr", lr)
        super().__init__(params, {"lr": lr})

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        param.add_(grad, alpha=-group["lr"])
