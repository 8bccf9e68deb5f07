"""Momentum SGD in the course's velocity form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlpipe.optim._checks import check_decay, check_non_negative
from dlpipe.optim.base import CourseOptimizer


class Momentum(CourseOptimizer):
    """v = momentum * v - lr * g;  x = x + v   (v starts at 0, kept in ``state[p]["velocity"]``).

    Mapping to ``torch.optim.SGD(params, lr=lr, momentum=momentum)``, which keeps
    ``buf = momentum * buf + g`` and does ``x -= lr * buf``: while lr is constant,
    ``v = -lr * buf`` at every step, so the parameters are identical. (If lr changes between
    steps the two differ: torch rescales the whole buffer by the new lr, the course form does not.)
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.9) -> None:
        check_non_negative("lr", lr)
        check_decay("momentum", momentum)
        super().__init__(params, {"lr": lr, "momentum": momentum})

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if "velocity" not in state:
            state["velocity"] = torch.zeros_like(param)
        velocity = state["velocity"]
        velocity.mul_(group["momentum"]).add_(grad, alpha=-group["lr"])
        param.add_(velocity)
