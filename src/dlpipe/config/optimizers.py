"""Optimizer names and hyperparameters, checked when params.yaml is read, not epochs later.

dlpipe.optim.factory reads each optimizer's hyperparameters off its constructor; config must not
import torch (light commands import config), so this module keeps a copy of that table and
tests/test_config.py keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import AfterValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from dlpipe.config.base import Float, ReadOnlyMap, check_rules


class Hyper(NamedTuple):
    """One optimizer's hyperparameter names: all it takes, and those it cannot do without."""

    accepted: tuple[str, ...]
    required: tuple[str, ...] = ("lr",)


OPTIMIZER_HYPERPARAMETERS: Mapping[str, Hyper] = MappingProxyType(
    {
        "sgd": Hyper(("lr",)),
        "momentum": Hyper(("lr", "momentum")),
        "nesterov": Hyper(("lr", "momentum")),
        "adagrad": Hyper(("lr", "eps", "initial_accumulator_value")),
        "adadelta": Hyper(("rho", "eps"), required=()),
        "rmsprop": Hyper(("lr", "decay", "eps")),
        "adam": Hyper(("lr", "beta1", "beta2", "eps")),
    }
)
"""Each optimizer's constructor keywords: all of them, then those without a default."""

OptimizerName = Literal["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"]

_HYPER_RANGES: Mapping[str, tuple[Callable[[float], bool], str]] = MappingProxyType(
    {
        "lr": (lambda v: v > 0, "must be > 0"),
        "eps": (lambda v: v > 0, "must be > 0"),
        "initial_accumulator_value": (lambda v: v >= 0, "must be >= 0"),
        **dict.fromkeys(
            ("momentum", "decay", "beta1", "beta2", "rho"),
            (lambda v: 0 <= v < 1, "must be in [0, 1)"),
        ),
    }
)


def hyper_problems(optimizer: str, hyper: Mapping[str, float]) -> list[tuple[str, str]]:
    """Unknown, missing and out-of-range hyperparameters of `optimizer`, keyed by name."""
    spec = OPTIMIZER_HYPERPARAMETERS[optimizer]
    accepted = ", ".join(spec.accepted)
    problems = [
        (key, f"unknown hyperparameter for optimizer {optimizer!r} (accepted: {accepted})")
        for key in hyper
        if key not in spec.accepted
    ]
    problems += [
        (key, f"missing: optimizer {optimizer!r} needs it")
        for key in spec.required
        if key not in hyper
    ]
    for key, value in hyper.items():
        if key in spec.accepted:
            in_range, rule = _HYPER_RANGES[key]
            if not in_range(value):
                problems.append((key, f"{rule} (got {value!r})"))
    return problems


def _check_sibling_optimizer(hyper: Mapping[str, float], info: ValidationInfo) -> Any:
    optimizer = info.data.get("optimizer")
    if optimizer is not None:  # None: `optimizer` itself is wrong and already reported
        check_rules(hyper_problems(optimizer, hyper))
    return hyper


OptimizerHyper = Annotated[ReadOnlyMap[str, Float], AfterValidator(_check_sibling_optimizer)]
"""The hyperparameters of the `optimizer` field declared just before this one."""


def _check_each_optimizer(optimizers: Mapping[str, Mapping[str, float]]) -> Any:
    if not optimizers:
        raise PydanticCustomError("empty", "must name at least one optimizer")
    check_rules(
        (f"{name}.{key}", message)
        for name, hyper in optimizers.items()
        for key, message in hyper_problems(name, hyper)
    )
    return optimizers


OptimizerSet = Annotated[
    ReadOnlyMap[OptimizerName, ReadOnlyMap[str, Float]], AfterValidator(_check_each_optimizer)
]
"""Optimizer name -> its hyperparameters, compared in YAML order."""
