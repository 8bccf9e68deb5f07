"""The name -> optimizer factory: exact names, eager and explicit errors, faithful construction."""

from __future__ import annotations

import pickle

import pytest
import torch

from dlpipe.optim import (
    OPTIMIZERS,
    SGD,
    AdaDelta,
    AdaGrad,
    Adam,
    Momentum,
    Nesterov,
    RMSprop,
    optimizer_factory,
)

NAMES = ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"]


def _param() -> torch.nn.Parameter:
    return torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))


def test_registry_holds_exactly_the_course_optimizers() -> None:
    assert list(OPTIMIZERS) == NAMES
    assert OPTIMIZERS["sgd"] is SGD
    assert OPTIMIZERS["adadelta"] is AdaDelta
    assert all(issubclass(cls, torch.optim.Optimizer) for cls in OPTIMIZERS.values())


def test_unknown_name_lists_the_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'") as info:
        optimizer_factory("adamw", {"lr": 0.1})
    assert all(name in str(info.value) for name in NAMES)


def test_unknown_key_names_the_key_the_optimizer_and_the_accepted_keys() -> None:
    with pytest.raises(ValueError, match="'betas'") as info:
        optimizer_factory("adam", {"lr": 0.1, "betas": 0.9})
    message = str(info.value)
    assert "'adam'" in message
    for key in ("lr", "beta1", "beta2", "eps"):
        assert key in message


def test_adadelta_has_no_learning_rate() -> None:
    with pytest.raises(ValueError, match=r"'lr'.*'adadelta'.*accepted: rho, eps"):
        optimizer_factory("adadelta", {"lr": 1.0})


def test_missing_learning_rate_fails_early() -> None:
    with pytest.raises(ValueError, match=r"'momentum' needs hyperparameter.*'lr'"):
        optimizer_factory("momentum", {"momentum": 0.5})


def test_bad_value_fails_at_factory_time() -> None:
    with pytest.raises(ValueError, match=r"'rmsprop'.*decay must be in"):
        optimizer_factory("rmsprop", {"lr": 0.1, "decay": 1.0})


@pytest.mark.parametrize(
    ("name", "hyper", "cls"),
    [
        ("sgd", {"lr": 0.1}, SGD),
        ("momentum", {"lr": 0.1, "momentum": 0.5}, Momentum),
        ("nesterov", {"lr": 0.1}, Nesterov),
        ("adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1}, AdaGrad),
        ("adadelta", {}, AdaDelta),
        ("rmsprop", {"lr": 0.1, "decay": 0.5}, RMSprop),
        ("adam", {"lr": 0.1, "beta2": 0.99}, Adam),
    ],
)
def test_factory_builds_the_class_with_the_hyperparameters(name, hyper, cls) -> None:
    build = optimizer_factory(name, hyper)
    optimizer = build([_param()])
    assert type(optimizer) is cls
    group = optimizer.param_groups[0]
    assert {key: group[key] for key in hyper} == hyper


def test_factory_is_picklable_and_ignores_later_changes_to_its_input() -> None:
    hyper = {"lr": 0.1}
    build = optimizer_factory("sgd", hyper)
    hyper["lr"] = 5.0
    rebuilt = pickle.loads(pickle.dumps(build))
    assert rebuilt([_param()]).param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize(
    ("cls", "kwargs", "key"),
    [
        (SGD, {"lr": -0.1}, "lr"),
        (SGD, {"lr": float("nan")}, "lr"),
        (Momentum, {"lr": 0.1, "momentum": 1.0}, "momentum"),
        (Nesterov, {"lr": 0.1, "momentum": -0.1}, "momentum"),
        (AdaGrad, {"lr": 0.1, "eps": 0.0}, "eps"),
        (AdaGrad, {"lr": 0.1, "initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        (AdaDelta, {"rho": 1.0}, "rho"),
        (AdaDelta, {"eps": -1e-6}, "eps"),
        (RMSprop, {"lr": -1.0}, "lr"),
        (RMSprop, {"lr": 0.1, "decay": 1.5}, "decay"),
        (Adam, {"lr": 0.1, "beta1": 1.0}, "beta1"),
        (Adam, {"lr": 0.1, "beta2": -0.5}, "beta2"),
        (Adam, {"lr": 0.1, "eps": 0.0}, "eps"),
    ],
)
def test_constructors_reject_bad_values(cls, kwargs, key) -> None:
    with pytest.raises(ValueError, match=f"^{key} must be"):
        cls([_param()], **kwargs)
