"""Test surfaces and trajectory tracing, with torch.optim optimizers as the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlpipe.optim.surfaces import SURFACES, Surface, get_surface
from dlpipe.optim.trajectories import Trajectory, run_trajectory, steps_to_tolerance


def _value_and_grad(surface: Surface, point: tuple[float, float]) -> tuple[float, np.ndarray]:
    p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    value = surface.fn(p)
    value.backward()
    return float(value.detach()), p.grad.numpy()


@pytest.mark.parametrize(
    ("name", "point", "expected"),
    [
        ("beale", (0.0, 0.0), 1.5**2 + 2.25**2 + 2.625**2),
        ("beale", (1.0, 1.0), 1.5**2 + 2.25**2 + 2.625**2),
        ("rosenbrock", (0.0, 0.0), 1.0),
        ("rosenbrock", (-1.0, 1.0), 4.0),
        ("saddle", (1.0, 2.0), -3.0),
        ("valley", (1.0, 1.0), 405.0),
    ],
)
def test_surface_values_at_known_points(name: str, point: tuple[float, float], expected: float):
    value, _ = _value_and_grad(get_surface(name), point)
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("name", ["beale", "rosenbrock", "valley"])
def test_minimum_has_stated_value_and_zero_gradient(name: str):
    surface = get_surface(name)
    value, grad = _value_and_grad(surface, surface.minimum)
    assert value == pytest.approx(surface.min_value, abs=1e-12)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)


def test_saddle_is_unbounded_with_an_escape_rule():
    saddle = get_surface("saddle")
    assert saddle.minimum is None
    assert saddle.min_value == -math.inf
    assert saddle.escape_value is not None and saddle.escape_value < 0


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_surface_evaluates_a_stacked_grid(name: str):
    surface = get_surface(name)
    grid = torch.randn(2, 3, 4, dtype=torch.float64)
    values = surface.fn(grid)
    assert values.shape == (3, 4)
    expected = surface.fn(grid[:, 1, 2])
    assert float(values[1, 2]) == pytest.approx(float(expected))


def test_unknown_surface_lists_valid_names():
    with pytest.raises(ValueError, match="beale, rosenbrock, saddle, valley"):
        get_surface("himmelblau")


def test_surface_needs_exactly_one_convergence_rule():
    with pytest.raises(ValueError, match="exactly one"):
        Surface("bad", SURFACES["saddle"].fn, None, 0.0, (-1, 1), (-1, 1), False)


def test_sgd_converges_on_the_valley():
    valley = get_surface("valley")
    traj = run_trajectory(valley, lambda p: torch.optim.SGD(p, lr=1e-3), (-9.0, 1.5), 1000)
    assert traj.path.shape == (1001, 2) and traj.values.shape == (1001,)
    assert traj.path.dtype == np.float64 and traj.values.dtype == np.float64
    assert not traj.diverged
    assert tuple(traj.path[0]) == (-9.0, 1.5)
    assert traj.values[0] == pytest.approx(5 * 81 + 400 * 2.25)
    steps = steps_to_tolerance(traj, valley, 0.01)
    assert isinstance(steps, int) and 0 < steps <= 1000
    assert np.linalg.norm(traj.path[steps]) <= 0.01 < np.linalg.norm(traj.path[steps - 1])


def test_too_large_lr_is_flagged_as_diverged_without_raising():
    valley = get_surface("valley")
    traj = run_trajectory(valley, lambda p: torch.optim.SGD(p, lr=0.1), (-9.0, 1.5), 500)
    assert traj.diverged
    assert 1 < len(traj.path) < 501 and len(traj.values) == len(traj.path)
    assert np.isfinite(traj.path).all() and np.isfinite(traj.values).all()
    assert steps_to_tolerance(traj, valley, 0.01) is None


def test_non_finite_values_stop_the_run():
    def sqrt_x(p: torch.Tensor) -> torch.Tensor:
        return torch.sqrt(p[0]) + 0.0 * p[1]

    surface = Surface("sqrt", sqrt_x, (0.0, 0.0), 0.0, (-1.0, 1.0), (-1.0, 1.0), False)
    traj = run_trajectory(surface, lambda p: torch.optim.SGD(p, lr=10.0), (1.0, 0.0), 10)
    assert traj.diverged
    assert len(traj.path) == 1 and np.isfinite(traj.values).all()


def test_saddle_escape_rule():
    saddle = get_surface("saddle")
    adam = run_trajectory(saddle, lambda p: torch.optim.Adam(p, lr=0.1), (1.0, 1e-3), 200)
    escaped = steps_to_tolerance(adam, saddle, 0.01)
    assert escaped is not None
    assert adam.values[escaped] <= saddle.escape_value < adam.values[escaped - 1]
    sgd = run_trajectory(saddle, lambda p: torch.optim.SGD(p, lr=1e-3), (1.0, 1e-3), 200)
    assert steps_to_tolerance(sgd, saddle, 0.01) is None


def test_steps_to_tolerance_takes_the_first_hit():
    path = np.array([[5.0, 5.0], [1.0, 1.005], [1.5, 1.5], [1.0, 1.0]])
    traj = Trajectory(path=path, values=np.zeros(4), diverged=False)
    rosenbrock = get_surface("rosenbrock")
    assert steps_to_tolerance(traj, rosenbrock, 0.01) == 1
    assert steps_to_tolerance(traj, rosenbrock, 0.001) == 3
    with pytest.raises(ValueError, match="tol"):
        steps_to_tolerance(traj, rosenbrock, 0.0)


def test_zero_steps_records_the_start_and_arrays_are_read_only():
    traj = run_trajectory(
        get_surface("beale"), lambda p: torch.optim.SGD(p, lr=0.01), (1.0, 1.5), 0
    )
    assert traj.path.shape == (1, 2) and not traj.diverged
    with pytest.raises(ValueError):
        traj.path[0, 0] = 0.0
