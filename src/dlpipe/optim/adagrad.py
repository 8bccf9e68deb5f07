"""AdaGrad: per-coordinate step sizes shrinking with the accumulated squared gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlpipe.optim._checks import check_non_negative, check_positive
from dlpipe.optim.base import CourseOptimizer


class AdaGrad(CourseOptimizer):
    """h += g*g;  x -= lr * g / (sqrt(h) + eps)   (h starts at ``initial_accumulator_value``).

    Identical to ``torch.optim.Adagrad(params, lr=lr, eps=eps,
    initial_accumulator_value=initial_accumulator_value)`` (eps outside the square root in both).
    Only the default eps differs: the course's 1e-7 against torch's 1e-10, so pass eps explicitly.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        eps: float = 1e-7,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        check_non_negative("lr", lr)
        check_positive("eps", eps)
        check_non_negative("initial_accumulator_value", initial_accumulator_value)
        defaults = {"lr": lr, "eps": eps, "initial_accumulator_value": initial_accumulator_value}
        super().__init__(params, defaults)

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if "sum_sq" not in state:
            state["sum_sq"] = torch.full_like(param, group["initial_accumulator_value"])
        sum_sq = state["sum_sq"]
        sum_sq.addcmul_(grad, grad)
        param.addcdiv_(grad, sum_sq.sqrt().add_(group["eps"]), value=-group["lr"])
