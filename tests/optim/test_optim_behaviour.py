"""What every course optimizer must do as a torch optimizer: descend, honour closures, resume."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from dlpipe.optim import optimizer_factory

# Course defaults plus a learning rate that suits the quadratic below.
HYPER = {
    "sgd": {"lr": 0.1},
    "momentum": {"lr": 0.05},
    "nesterov": {"lr": 0.05},
    "adagrad": {"lr": 0.5},
    "adadelta": {},
    "rmsprop": {"lr": 0.05},
    "adam": {"lr": 0.1},
}
NAMES = list(HYPER)


def quadratic(x: torch.Tensor) -> torch.Tensor:
    """A convex, ill-conditioned (1:10) quadratic with a cross term; minimum 0 at (1, -2)."""
    d = x - torch.tensor([1.0, -2.0], dtype=x.dtype)
    return 0.5 * (d[0] ** 2 + 10.0 * d[1] ** 2) + 0.5 * d[0] * d[1]


def _closure(optimizer: torch.optim.Optimizer, x: torch.Tensor):
    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = quadratic(x)
        loss.backward()
        return loss

    return closure


def _start() -> torch.Tensor:
    return torch.tensor([-3.0, 2.0], dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("name", NAMES)
def test_decreases_a_convex_quadratic(name: str) -> None:
    """1000 steps because AdaDelta starts with steps of about sqrt(eps) and needs ~900."""
    x = _start()
    optimizer = optimizer_factory(name, HYPER[name])([x])
    closure = _closure(optimizer, x)
    start = quadratic(x).item()
    for _ in range(1000):
        optimizer.step(closure)
    assert quadratic(x).item() < 0.1 * start


@pytest.mark.parametrize("name", NAMES)
def test_closure_is_called_once_and_its_loss_returned(name: str) -> None:
    x = _start()
    optimizer = optimizer_factory(name, HYPER[name])([x])
    calls = []

    def closure() -> torch.Tensor:
        calls.append(1)
        return _closure(optimizer, x)()

    loss = optimizer.step(closure)
    assert len(calls) == 1
    assert_close(loss, quadratic(torch.tensor([-3.0, 2.0], dtype=torch.float64)))
    assert optimizer.step() is None  # without a closure: uses the gradients already there


@pytest.mark.parametrize("name", NAMES)
def test_closure_and_manual_backward_give_the_same_step(name: str) -> None:
    x, y = _start(), _start()
    with_closure = optimizer_factory(name, HYPER[name])([x])
    manual = optimizer_factory(name, HYPER[name])([y])
    for _ in range(5):
        with_closure.step(_closure(with_closure, x))
        manual.zero_grad()
        quadratic(y).backward()
        manual.step()
    assert_close(x, y, atol=0.0, rtol=0.0)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_without_gradient_are_left_alone(name: str) -> None:
    x, frozen = _start(), torch.ones(2, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_factory(name, HYPER[name])([x, frozen])
    optimizer.step(_closure(optimizer, x))
    assert_close(frozen, torch.ones(2, dtype=torch.float64))
    assert frozen not in optimizer.state


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_resumes_exactly(name: str) -> None:
    """A checkpoint taken after 5 steps continues exactly like an uninterrupted run."""
    build = optimizer_factory(name, HYPER[name])
    straight, resumed = _start(), _start()
    optimizer = build([straight])
    for _ in range(10):
        optimizer.step(_closure(optimizer, straight))

    first = build([resumed])
    for _ in range(5):
        first.step(_closure(first, resumed))
    second = build([resumed])
    second.load_state_dict(first.state_dict())
    for _ in range(5):
        second.step(_closure(second, resumed))
    assert_close(resumed, straight, atol=0.0, rtol=0.0)
