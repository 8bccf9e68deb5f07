"""Adam: momentum on the gradient plus RMSprop's scaling, both bias-corrected."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlpipe.optim._checks import check_decay, check_non_negative, check_positive
from dlpipe.optim.base import CourseOptimizer


class Adam(CourseOptimizer):
    """The course's rule at step t = 1, 2, ... (m and v start at 0):

        m = beta1 * m + (1 - beta1) * g;    v = beta2 * v + (1 - beta2) * g^2
        mhat = m / (1 - beta1^t);           vhat = v / (1 - beta2^t)
        x -= lr * mhat / (sqrt(vhat) + eps)

    Mapping: ``torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps)`` is identical
    (same defaults, eps added outside sqrt(vhat) in both); only the betas are a pair there.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        check_non_negative("lr", lr)
        check_decay("beta1", beta1)
        check_decay("beta2", beta2)
        check_positive("eps", eps)
        super().__init__(params, {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps})

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if "step" not in state:
            state["step"] = 0
            state["avg_grad"] = torch.zeros_like(param)
            state["avg_sq_grad"] = torch.zeros_like(param)
        state["step"] += 1
        step, beta1, beta2 = state["step"], group["beta1"], group["beta2"]
        avg_grad, avg_sq_grad = state["avg_grad"], state["avg_sq_grad"]
        avg_grad.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        avg_sq_grad.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        m_hat = avg_grad / (1.0 - beta1**step)
        v_hat = avg_sq_grad / (1.0 - beta2**step)
        param.addcdiv_(m_hat, v_hat.sqrt_().add_(group["eps"]), value=-group["lr"])
