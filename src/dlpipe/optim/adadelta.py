"""AdaDelta: AdaGrad's idea with decaying averages and no learning rate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlpipe.optim._checks import check_decay, check_positive
from dlpipe.optim.base import CourseOptimizer


class AdaDelta(CourseOptimizer):
    """The course's rule, with both running averages starting at 0:

        E[g2]  = rho * E[g2] + (1 - rho) * g^2
        dx     = -sqrt(E[dx2] + eps) / sqrt(E[g2] + eps) * g
        E[dx2] = rho * E[dx2] + (1 - rho) * dx^2
        x     += dx

    Mapping: ``torch.optim.Adadelta(params, lr=1.0, rho=rho, eps=eps)`` is identical (eps inside
    both square roots). Torch multiplies dx by an extra ``lr`` that the course form lacks (only
    lr = 1 matches), and its default rho is 0.9 against the course's 0.95.
    """

    def __init__(self, params: Iterable[Any], rho: float = 0.95, eps: float = 1e-6) -> None:
        check_decay("rho", rho)
        check_positive("eps", eps)
        super().__init__(params, {"rho": rho, "eps": eps})

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if "avg_sq_grad" not in state:
            state["avg_sq_grad"] = torch.zeros_like(param)
            state["avg_sq_delta"] = torch.zeros_like(param)
        avg_sq_grad, avg_sq_delta = state["avg_sq_grad"], state["avg_sq_delta"]
        rho, eps = group["rho"], group["eps"]
        avg_sq_grad.mul_(rho).addcmul_(grad, grad, value=1.0 - rho)
        delta = (avg_sq_delta + eps).sqrt_().div_((avg_sq_grad + eps).sqrt_()).mul_(grad).neg_()
        avg_sq_delta.mul_(rho).addcmul_(delta, delta, value=1.0 - rho)
        param.add_(delta)
