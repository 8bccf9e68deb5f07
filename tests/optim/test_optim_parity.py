"""Each course optimizer against torch.optim over 1000 steps, through the documented mapping.

The formulas are equivalent for every pair once the mapping is applied, so whole trajectories
must agree to 1e-6. The runs with a large eps make its placement (inside or outside the square
root) visible; the last tests show each mapping is needed: without it the runs differ.
"""

from __future__ import annotations

from functools import partial

import pytest
import torch
from torch.testing import assert_close

from dlpipe.optim import SGD, AdaDelta, AdaGrad, Adam, Momentum, Nesterov, RMSprop

STEPS = 1000
SHORT = 300  # enough to compare states or show a difference
TOL = {"atol": 1e-6, "rtol": 1e-6}

PAIRS = [
    pytest.param(partial(SGD, lr=0.05), partial(torch.optim.SGD, lr=0.05), id="sgd"),
    pytest.param(
        partial(Momentum, lr=0.01, momentum=0.9),
        partial(torch.optim.SGD, lr=0.01, momentum=0.9),
        id="momentum",
    ),
    pytest.param(
        partial(Nesterov, lr=0.01, momentum=0.9),
        partial(torch.optim.SGD, lr=0.01, momentum=0.9, nesterov=True),
        id="nesterov",
    ),
    pytest.param(
        partial(AdaGrad, lr=0.1, eps=1e-7),
        partial(torch.optim.Adagrad, lr=0.1, eps=1e-7),
        id="adagrad",
    ),
    pytest.param(
        partial(AdaDelta, rho=0.95, eps=1e-6),
        partial(torch.optim.Adadelta, lr=1.0, rho=0.95, eps=1e-6),
        id="adadelta",
    ),
    pytest.param(
        partial(RMSprop, lr=0.01, decay=0.9, eps=1e-7),
        partial(torch.optim.RMSprop, lr=0.01, alpha=0.9, eps=1e-7),
        id="rmsprop",
    ),
    pytest.param(
        partial(Adam, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8),
        partial(torch.optim.Adam, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
        id="adam",
    ),
]

# Non-default hyperparameters with an eps large enough that its placement changes the result.
LARGE_EPS_PAIRS = [
    pytest.param(
        partial(AdaGrad, lr=0.1, eps=0.1, initial_accumulator_value=0.5),
        partial(torch.optim.Adagrad, lr=0.1, eps=0.1, initial_accumulator_value=0.5),
        id="adagrad-initial-h",
    ),
    pytest.param(
        partial(AdaDelta, rho=0.9, eps=1e-2),
        partial(torch.optim.Adadelta, lr=1.0, rho=0.9, eps=1e-2),
        id="adadelta",
    ),
    pytest.param(
        partial(RMSprop, lr=0.01, decay=0.8, eps=0.1),
        partial(torch.optim.RMSprop, lr=0.01, alpha=0.8, eps=0.1),
        id="rmsprop",
    ),
    pytest.param(
        partial(Adam, lr=0.01, beta1=0.8, beta2=0.99, eps=0.1),
        partial(torch.optim.Adam, lr=0.01, betas=(0.8, 0.99), eps=0.1),
        id="adam",
    ),
]


def _assert_same_trajectory(problem, ours, theirs) -> None:
    mine = problem.run(ours, STEPS).points
    reference = problem.run(theirs, STEPS).points
    moved = (reference[-1] - reference[0]).abs().max().item()
    assert moved > 1e-2, "the run barely moved, so agreement would prove nothing"
    assert_close(mine, reference, **TOL)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_trajectory_matches_torch(ours, theirs, problem) -> None:
    """Same start, same batches: every step's parameters agree to 1e-6 (course defaults)."""
    _assert_same_trajectory(problem, ours, theirs)


@pytest.mark.parametrize(("ours", "theirs"), LARGE_EPS_PAIRS)
def test_trajectory_matches_torch_with_large_eps(ours, theirs, least_squares) -> None:
    """Near the optimum the gradients are small, so a misplaced eps of 0.1 would show."""
    _assert_same_trajectory(least_squares, ours, theirs)


def test_momentum_velocity_is_minus_lr_times_torch_buffer(mlp) -> None:
    """The mapping v = -lr * buf holds for the state, not only for the parameters."""
    lr = 0.01
    mine = mlp.run(partial(Momentum, lr=lr, momentum=0.9), SHORT).optimizer
    reference = mlp.run(partial(torch.optim.SGD, lr=lr, momentum=0.9), SHORT).optimizer
    velocities = [mine.state[p]["velocity"] for g in mine.param_groups for p in g["params"]]
    buffers = [
        reference.state[p]["momentum_buffer"] for g in reference.param_groups for p in g["params"]
    ]
    assert_close(velocities, [-lr * b for b in buffers], **TOL)
    # Without the mapping the states are unrelated in scale.
    assert (velocities[0] - buffers[0]).abs().max() > 1e-3


def test_nesterov_stores_the_look_ahead_point_like_torch(mlp) -> None:
    """Torch's nesterov parameters are y = x + m*v, not the course's x; base_params gives x."""
    lr, m = 0.01, 0.9
    mine = mlp.run(partial(Nesterov, lr=lr, momentum=m), SHORT)
    reference = mlp.run(partial(torch.optim.SGD, lr=lr, momentum=m, nesterov=True), SHORT)
    torch_params = list(reference.optimizer.param_groups[0]["params"])
    buffers = [reference.optimizer.state[p]["momentum_buffer"] for p in torch_params]
    torch_x = [p.detach() + m * lr * b for p, b in zip(torch_params, buffers, strict=True)]
    base = mine.optimizer.base_params()
    assert_close(base, torch_x, **TOL)
    # x and the stored look-ahead point genuinely differ.
    assert max((x - p).abs().max().item() for x, p in zip(base, torch_params, strict=True)) > 1e-4


@pytest.mark.parametrize(
    ("ours", "unmapped"),
    [
        pytest.param(
            partial(AdaDelta, rho=0.95, eps=1e-6),
            partial(torch.optim.Adadelta, lr=0.5, rho=0.95, eps=1e-6),
            id="adadelta-torch-lr-not-1",
        ),
        pytest.param(partial(AdaDelta), partial(torch.optim.Adadelta), id="adadelta-default-rho"),
        pytest.param(
            partial(RMSprop, lr=0.01), partial(torch.optim.RMSprop, lr=0.01), id="rmsprop-defaults"
        ),
        pytest.param(
            partial(RMSprop, lr=0.01, decay=0.9, eps=0.1),
            partial(torch.optim.RMSprop, lr=0.01, alpha=0.99, eps=0.1),
            id="rmsprop-alpha-is-not-1-minus-decay-convention",
        ),
    ],
)
def test_without_the_mapping_the_runs_differ(ours, unmapped, mlp) -> None:
    """The mapping is not a formality: torch's defaults or its extra lr change the trajectory."""
    mine = mlp.run(ours, SHORT).points
    reference = mlp.run(unmapped, SHORT).points
    assert (mine - reference).abs().max() > 1e-3
