"""RMSprop: AdaGrad with a decaying average, so old gradients are forgotten."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlpipe.optim._checks import check_decay, check_non_negative, check_positive
from dlpipe.optim.base import CourseOptimizer


class RMSprop(CourseOptimizer):
    """E[g2] = decay * E[g2] + (1 - decay) * g^2;  x -= lr * g / (sqrt(E[g2]) + eps)

    E[g2] starts at 0.

    Mapping: ``torch.optim.RMSprop(params, lr=lr, alpha=decay, eps=eps)`` is identical (eps outside
    the square root in both). Torch's defaults differ (alpha=0.99, eps=1e-8 against the course's
    decay=0.9, eps=1e-7), so pass them explicitly.
    """

    def __init__(
        self, params: Iterable[Any], lr: float, decay: float = 0.9, eps: float = 1e-7
    ) -> None:
        check_non_negative("lr", lr)
        check_decay("decay", decay)
        check_positive("eps", eps)
        super().__init__(params, {"lr": lr, "decay": decay, "eps": eps})

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if "avg_sq_grad" not in state:
            state["avg_sq_grad"] = torch.zeros_like(param)
        avg_sq_grad = state["avg_sq_grad"]
        decay = group["decay"]
        avg_sq_grad.mul_(decay).addcmul_(grad, grad, value=1.0 - decay)
        param.addcdiv_(grad, avg_sq_grad.sqrt().add_(group["eps"]), value=-group["lr"])
