"""Nesterov's accelerated gradient, stored at the look-ahead point so a closure can use it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from dlpipe.optim._checks import check_decay, check_non_negative
from dlpipe.optim.base import CourseOptimizer


class Nesterov(CourseOptimizer):
    """The course's rule: v = m*v - lr * grad(x + m*v);  x = x + v   (m = momentum, v starts at 0).

    A torch optimizer only sees the gradient at the tensors it holds, so the parameters hold the
    look-ahead point ``y = x + m*v`` instead of ``x``. Substituting gives the update actually run:

        v_new = m*v - lr * g(y);   y = y + m*v_new - lr * g(y)

    which visits exactly the course's points (``y`` and ``x`` coincide at the start, where v = 0).
    The course's ``x = y - m*v`` is returned by :meth:`base_params`; ``v`` is in
    ``state[p]["velocity"]``.

    Mapping to ``torch.optim.SGD(params, lr=lr, momentum=m, nesterov=True)``: torch's
    parameters are these look-ahead points too, and with ``buf = m*buf + g`` its update
    ``y -= lr * (g + m*buf)`` equals the one above with ``v = -lr * buf`` (constant lr).
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
        momentum, lr = group["momentum"], group["lr"]
        velocity.mul_(momentum).add_(grad, alpha=-lr)
        param.add_(velocity, alpha=momentum).add_(grad, alpha=-lr)

    def base_params(self) -> list[torch.Tensor]:
        """The course's x = y - m*v for every parameter (param_groups order), as detached copies.

        Use these, not the live parameters, to report where the course's x is (for example
        at the end of training); they use each group's current momentum.
        """
        base = []
        with torch.no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    velocity = self.state[param].get("velocity")
                    if velocity is None:
                        base.append(param.detach().clone())
                    else:
                        base.append(param - group["momentum"] * velocity)
        return base
