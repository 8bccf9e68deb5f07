"""Fixed-seed problems on which each course optimizer runs beside its torch.optim counterpart."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.nn.functional import mse_loss
from torch.nn.utils import parameters_to_vector

MakeOptimizer = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
DTYPE = torch.float64


@dataclass(frozen=True)
class Run:
    """Parameters after every step (row 0: the start) and the optimizer that produced them."""

    points: torch.Tensor
    optimizer: torch.optim.Optimizer


@dataclass(frozen=True)
class Problem:
    """A model with fixed initial weights and a fixed batch sequence, rerunnable identically."""

    model: nn.Module
    batches: tuple[tuple[torch.Tensor, torch.Tensor], ...]

    def run(self, make_optimizer: MakeOptimizer, steps: int) -> Run:
        """Train a fresh copy of the model for ``steps`` steps, stepping through a closure."""
        model = copy.deepcopy(self.model)
        optimizer = make_optimizer(model.parameters())
        points = [parameters_to_vector(model.parameters()).detach().clone()]
        for inputs, targets in itertools.islice(itertools.cycle(self.batches), steps):
            optimizer.step(_closure(model, optimizer, inputs, targets))
            points.append(parameters_to_vector(model.parameters()).detach().clone())
        return Run(torch.stack(points), optimizer)


def _closure(
    model: nn.Module, optimizer: torch.optim.Optimizer, inputs: torch.Tensor, targets: torch.Tensor
) -> Callable[[], torch.Tensor]:
    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = mse_loss(model(inputs), targets)
        loss.backward()
        return loss

    return closure


def _init_weights(model: nn.Module, generator: torch.Generator, scale: float) -> nn.Module:
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(scale * torch.randn(param.shape, generator=generator, dtype=DTYPE))
    return model


@pytest.fixture(scope="session")
def least_squares() -> Problem:
    """Linear regression on 64 random points in 6-D, full batch every step."""
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(64, 6, generator=gen, dtype=DTYPE)
    true_w = torch.randn(6, 1, generator=gen, dtype=DTYPE)
    targets = inputs @ true_w + 0.1 * torch.randn(64, 1, generator=gen, dtype=DTYPE)
    model = _init_weights(nn.Linear(6, 1, dtype=DTYPE), gen, 1.0)
    return Problem(model, ((inputs, targets),))


@pytest.fixture(scope="session")
def mlp() -> Problem:
    """A 4-8-1 tanh network fitting a smooth function, eight minibatches of 16 in a cycle."""
    gen = torch.Generator().manual_seed(1)
    inputs = torch.randn(128, 4, generator=gen, dtype=DTYPE)
    targets = torch.sin(inputs.sum(dim=1, keepdim=True)) + 0.5 * inputs[:, :1] ** 2
    model = _init_weights(
        nn.Sequential(nn.Linear(4, 8, dtype=DTYPE), nn.Tanh(), nn.Linear(8, 1, dtype=DTYPE)),
        gen,
        0.5,
    )
    batches = tuple(zip(inputs.split(16), targets.split(16), strict=True))
    return Problem(model, batches)


@pytest.fixture(params=["least_squares", "mlp"])
def problem(request: pytest.FixtureRequest) -> Problem:
    """Each parity test runs on both problems."""
    return request.getfixturevalue(request.param)
