"""Name -> optimizer lookup, so a config entry (name + hyperparameters) becomes an optimizer.

LightningModules receive the factory's result and call it on their parameters; the optimizer
comparison then only swaps the factory.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import torch
from torch.optim import Optimizer

from dlpipe.optim.adadelta import AdaDelta
from dlpipe.optim.adagrad import AdaGrad
from dlpipe.optim.adam import Adam
from dlpipe.optim.momentum import Momentum
from dlpipe.optim.nesterov import Nesterov
from dlpipe.optim.rmsprop import RMSprop
from dlpipe.optim.sgd import SGD

OptimizerFactory = Callable[[Iterable[torch.nn.Parameter]], Optimizer]
"""What LightningModules receive: parameters in, a ready optimizer out."""

OPTIMIZERS: Mapping[str, type[Optimizer]] = MappingProxyType(
    {
        "sgd": SGD,
        "momentum": Momentum,
        "nesterov": Nesterov,
        "adagrad": AdaGrad,
        "adadelta": AdaDelta,
        "rmsprop": RMSprop,
        "adam": Adam,
    }
)


def optimizer_factory(name: str, hyper: Mapping[str, float]) -> OptimizerFactory:
    """Check ``name`` and ``hyper`` now and return ``params -> optimizer``.

    Errors surface when the config is read, not epochs later: an unknown name, an unknown or
    missing hyperparameter, or a bad value (checked by building the optimizer once on a dummy
    tensor) raise ValueError. The result is a ``functools.partial``, so it pickles.
    """
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        valid = ", ".join(OPTIMIZERS)
        raise ValueError(f"unknown optimizer {name!r}; valid names: {valid}") from None
    accepted, required = _hyperparameters(cls)
    unknown = sorted(set(hyper) - set(accepted))
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {', '.join(map(repr, unknown))} for optimizer {name!r}; "
            f"accepted: {', '.join(accepted)}"
        )
    missing = [key for key in required if key not in hyper]
    if missing:
        raise ValueError(
            f"optimizer {name!r} needs hyperparameter(s) {', '.join(map(repr, missing))}; "
            f"accepted: {', '.join(accepted)}"
        )
    kwargs = dict(hyper)
    try:
        cls([torch.zeros(1, requires_grad=True)], **kwargs)
    except ValueError as exc:
        raise ValueError(f"optimizer {name!r}: {exc}") from exc
    return functools.partial(cls, **kwargs)


def _hyperparameters(cls: type[Optimizer]) -> tuple[list[str], list[str]]:
    """The constructor's keyword names (all, then those without a default), ``params`` excluded."""
    parameters = [p for p in inspect.signature(cls).parameters.values() if p.name != "params"]
    accepted = [p.name for p in parameters]
    required = [p.name for p in parameters if p.default is inspect.Parameter.empty]
    return accepted, required
