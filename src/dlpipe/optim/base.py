"""The step loop every course optimizer shares: closure handling and the walk over parameters.

Subclasses only write the per-tensor formula in ``_update``, so each module holds one formula.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.optim import Optimizer


class CourseOptimizer(Optimizer):
    """A torch optimizer whose update is one element-wise formula per parameter tensor."""

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Apply the formula once to every parameter that has a gradient.

        ``closure`` re-evaluates the model and returns the loss, as for torch's optimizers; it
        runs with gradients enabled, the update itself without.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    if param.grad.is_sparse:
                        name = type(self).__name__
                        raise RuntimeError(f"{name} does not support sparse gradients")
                    self._update(param, param.grad, self.state[param], group)
        return loss

    def _update(
        self, param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Change ``param`` in place from ``grad``; ``state`` starts empty and persists."""
        raise NotImplementedError
