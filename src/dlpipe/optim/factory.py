"""Name -> optimizer lookup, so a config entry (name + hyperparameters) becomes an optimizer.

LightningModules receive the factory's result and call it on their parameters; the optimizer
comparison then only swaps the factory.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

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


FUSED_ADAM = "torch_adam_fused"
"""The name `optimizer_factory` and `optimizer_record` use for `fused_adam` (hyperparameters
lr, beta1, beta2); not one of the course's OPTIMIZERS, so comparisons never list it."""


def fused_adam(lr: float, beta1: float = 0.9, beta2: float = 0.999) -> OptimizerFactory:
    """torch's fused Adam: the course's update (`dlpipe.optim.adam.Adam`, whose docstring maps
    the two) in one pass over the weights instead of nine, for the generative models. On one
    CPU thread the course's version took 10 ms of a 25 ms MLP GAN step (fused: 1.5 ms) and a
    third of a 784-384-384-32 VAE step (10.5 ms; fused: 8.1 ms)."""
    return functools.partial(torch.optim.Adam, lr=lr, betas=(beta1, beta2), fused=True)


def optimizer_record(factory: OptimizerFactory) -> dict[str, Any]:
    """`optimizer` (the name `optimizer_factory` takes) and `optimizer_hyper` of a factory made
    here; both None for any other callable (it cannot be recorded, so not rebuilt)."""
    if isinstance(factory, functools.partial) and not factory.args:
        keywords = factory.keywords
        if factory.func is torch.optim.Adam and set(keywords) == {"lr", "betas", "fused"}:
            beta1, beta2 = keywords["betas"]
            hyper = {"lr": float(keywords["lr"]), "beta1": float(beta1), "beta2": float(beta2)}
            return {"optimizer": FUSED_ADAM, "optimizer_hyper": hyper}
        for name, cls in OPTIMIZERS.items():
            if factory.func is cls:
                return {"optimizer": name, "optimizer_hyper": dict(keywords)}
    return {"optimizer": None, "optimizer_hyper": None}


def optimizer_factory(name: str, hyper: Mapping[str, float]) -> OptimizerFactory:
    """Check ``name`` and ``hyper`` now and return ``params -> optimizer``.

    Errors surface when the config is read, not epochs later: an unknown name, an unknown or
    missing hyperparameter, or a bad value (checked by building the optimizer once on a dummy
    tensor) raise ValueError. The result is a ``functools.partial``, so it pickles.
    """
    if name == FUSED_ADAM:
        try:
            return fused_adam(**hyper)
        except TypeError as exc:
            raise ValueError(f"optimizer {name!r}: {exc}; accepted: lr, beta1, beta2") from exc
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
