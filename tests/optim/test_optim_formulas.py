"""Each optimizer against the course's formula written out literally, without torch.optim.

The reference loops use a hand-written gradient, so they check the formulas themselves, not
only agreement with PyTorch. With a large eps they also show that eps placement is real: moving
eps into (or out of) the square root changes the trajectory by far more than the tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
import torch
from torch.testing import assert_close

from dlpipe.optim import SGD, AdaDelta, AdaGrad, Adam, Momentum, Nesterov, RMSprop

STEPS = 200
TOL = {"atol": 1e-9, "rtol": 1e-9}
Root = Callable[[torch.Tensor, float], torch.Tensor]


def outside(s: torch.Tensor, eps: float) -> torch.Tensor:
    return s.sqrt() + eps


def inside(s: torch.Tensor, eps: float) -> torch.Tensor:
    return (s + eps).sqrt()


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(2)
    a = torch.randn(20, 3, generator=gen, dtype=torch.float64)
    return a, torch.randn(20, generator=gen, dtype=torch.float64)


A, B = _data()
X0 = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)


def grad(x: torch.Tensor) -> torch.Tensor:
    """Gradient of 0.5 * mean((A x - b)^2), by hand."""
    return A.T @ (A @ x - B) / len(B)


def course_sgd(lr: float) -> torch.Tensor:
    x, path = X0, [X0]
    for _ in range(STEPS):
        x = x - lr * grad(x)
        path.append(x)
    return torch.stack(path)


def course_momentum(lr: float, momentum: float) -> torch.Tensor:
    x, v, path = X0, torch.zeros_like(X0), [X0]
    for _ in range(STEPS):
        v = momentum * v - lr * grad(x)
        x = x + v
        path.append(x)
    return torch.stack(path)


def course_nesterov_look_ahead(lr: float, momentum: float) -> torch.Tensor:
    """The literal rule; returns the look-ahead points x + m*v, which the optimizer stores."""
    x, v, path = X0, torch.zeros_like(X0), [X0]
    for _ in range(STEPS):
        v = momentum * v - lr * grad(x + momentum * v)
        x = x + v
        path.append(x + momentum * v)
    return torch.stack(path)


def course_adagrad(lr: float, eps: float, h0: float = 0.0, root: Root = outside) -> torch.Tensor:
    x, h, path = X0, torch.full_like(X0, h0), [X0]
    for _ in range(STEPS):
        g = grad(x)
        h = h + g * g
        x = x - lr * g / root(h, eps)
        path.append(x)
    return torch.stack(path)


def course_adadelta(rho: float, eps: float, root: Root = inside) -> torch.Tensor:
    x, eg2, edx2, path = X0, torch.zeros_like(X0), torch.zeros_like(X0), [X0]
    for _ in range(STEPS):
        g = grad(x)
        eg2 = rho * eg2 + (1 - rho) * g**2
        dx = -root(edx2, eps) / root(eg2, eps) * g
        edx2 = rho * edx2 + (1 - rho) * dx**2
        x = x + dx
        path.append(x)
    return torch.stack(path)


def course_rmsprop(lr: float, decay: float, eps: float, root: Root = outside) -> torch.Tensor:
    x, eg2, path = X0, torch.zeros_like(X0), [X0]
    for _ in range(STEPS):
        g = grad(x)
        eg2 = decay * eg2 + (1 - decay) * g**2
        x = x - lr * g / root(eg2, eps)
        path.append(x)
    return torch.stack(path)


def course_adam(
    lr: float, beta1: float, beta2: float, eps: float, root: Root = outside
) -> torch.Tensor:
    x, m, v, path = X0, torch.zeros_like(X0), torch.zeros_like(X0), [X0]
    for t in range(1, STEPS + 1):
        g = grad(x)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        x = x - lr * m_hat / root(v_hat, eps)
        path.append(x)
    return torch.stack(path)


def run_ours(make_optimizer: Callable[..., torch.optim.Optimizer]) -> torch.Tensor:
    x = X0.clone().requires_grad_(True)
    optimizer = make_optimizer([x])
    path = [x.detach().clone()]
    for _ in range(STEPS):
        optimizer.zero_grad()
        (0.5 * ((A @ x - B) ** 2).mean()).backward()
        optimizer.step()
        path.append(x.detach().clone())
    return torch.stack(path)


CASES = [
    pytest.param(partial(SGD, lr=0.1), partial(course_sgd, 0.1), id="sgd"),
    pytest.param(
        partial(Momentum, lr=0.05, momentum=0.9), partial(course_momentum, 0.05, 0.9), id="momentum"
    ),
    pytest.param(
        partial(Nesterov, lr=0.05, momentum=0.9),
        partial(course_nesterov_look_ahead, 0.05, 0.9),
        id="nesterov",
    ),
    pytest.param(partial(AdaGrad, lr=0.5), partial(course_adagrad, 0.5, 1e-7), id="adagrad"),
    pytest.param(
        partial(AdaGrad, lr=0.5, eps=0.1, initial_accumulator_value=1.0),
        partial(course_adagrad, 0.5, 0.1, 1.0),
        id="adagrad-eps-h0",
    ),
    pytest.param(partial(AdaDelta), partial(course_adadelta, 0.95, 1e-6), id="adadelta"),
    pytest.param(partial(RMSprop, lr=0.05), partial(course_rmsprop, 0.05, 0.9, 1e-7), id="rmsprop"),
    pytest.param(partial(Adam, lr=0.05), partial(course_adam, 0.05, 0.9, 0.999, 1e-8), id="adam"),
]


@pytest.mark.parametrize(("ours", "course"), CASES)
def test_matches_the_course_formula(ours, course) -> None:
    expected = course()
    assert (expected[-1] - expected[0]).abs().max() > 0.1
    assert_close(run_ours(ours), expected, **TOL)


EPS_CASES = [
    pytest.param(
        partial(AdaGrad, lr=0.5, eps=0.1), partial(course_adagrad, 0.5, 0.1), id="adagrad"
    ),
    pytest.param(
        partial(AdaDelta, rho=0.9, eps=0.01), partial(course_adadelta, 0.9, 0.01), id="adadelta"
    ),
    pytest.param(
        partial(RMSprop, lr=0.05, eps=0.1), partial(course_rmsprop, 0.05, 0.9, 0.1), id="rmsprop"
    ),
    pytest.param(
        partial(Adam, lr=0.05, eps=0.1), partial(course_adam, 0.05, 0.9, 0.999, 0.1), id="adam"
    ),
]


@pytest.mark.parametrize(("ours", "course"), EPS_CASES)
def test_eps_placement_is_the_courses(ours, course) -> None:
    """Ours equals the course's placement and is far from the other one."""
    got = run_ours(ours)
    assert_close(got, course(), **TOL)
    flipped = course(root=outside if course.func is course_adadelta else inside)
    assert (got - flipped).abs().max() > 1e-3
