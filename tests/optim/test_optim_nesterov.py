"""Nesterov's stored look-ahead point against the course's literal rule, computed by hand."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from dlpipe.optim import Nesterov

LR, MOMENTUM, STEPS = 1e-3, 0.9, 1000
START = (-1.5, 2.0)


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2


def rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    """The gradient written out by hand, so the reference loop uses no autograd."""
    return -2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)


def literal_nesterov() -> list[tuple[float, float, float, float]]:
    """The course's rule in plain floats: v = m*v - lr*grad(x + m*v); x = x + v."""
    x, y = START
    vx = vy = 0.0
    path = [(x, y, vx, vy)]
    for _ in range(STEPS):
        gx, gy = rosenbrock_grad(x + MOMENTUM * vx, y + MOMENTUM * vy)
        vx, vy = MOMENTUM * vx - LR * gx, MOMENTUM * vy - LR * gy
        x, y = x + vx, y + vy
        path.append((x, y, vx, vy))
    return path


def test_nesterov_follows_the_literal_look_ahead_rule() -> None:
    """Every step: base_params() is the course's x, the stored parameter is x + m*v."""
    point = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = Nesterov([point], lr=LR, momentum=MOMENTUM)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = rosenbrock(point)
        loss.backward()
        return loss

    expected = torch.tensor(literal_nesterov(), dtype=torch.float64)
    got_x, got_stored = [optimizer.base_params()[0]], [point.detach().clone()]
    for _ in range(STEPS):
        optimizer.step(closure)
        got_x.append(optimizer.base_params()[0])
        got_stored.append(point.detach().clone())

    x, v = expected[:, :2], expected[:, 2:]
    assert (x[-1] - x[0]).abs().max() > 0.5, "the run should travel along the valley"
    assert_close(torch.stack(got_x), x, atol=1e-6, rtol=1e-6)
    assert_close(torch.stack(got_stored), x + MOMENTUM * v, atol=1e-6, rtol=1e-6)
    assert_close(optimizer.state[point]["velocity"], v[-1], atol=1e-6, rtol=1e-6)


def test_base_params_before_any_step_is_the_parameter() -> None:
    point = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = Nesterov([point], lr=LR)
    (base,) = optimizer.base_params()
    assert_close(base, point.detach())
    assert base.data_ptr() != point.data_ptr()


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_base_params_use_each_groups_momentum(momentum: float) -> None:
    a = torch.ones(2, dtype=torch.float64, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)
    optimizer = Nesterov([{"params": [a]}, {"params": [b], "momentum": momentum}], lr=0.1)
    (a.sum() + b.sum()).backward()
    optimizer.step()
    base_a, base_b = optimizer.base_params()
    assert_close(base_a, a.detach() - 0.9 * optimizer.state[a]["velocity"])
    assert_close(base_b, b.detach() - momentum * optimizer.state[b]["velocity"])
