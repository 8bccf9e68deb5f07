"""Run one optimizer on a 2-D surface and record where it goes.

The optimizer is supplied as a factory (parameters -> optimizer), so the same code traces the
course's own optimizers and torch.optim's reference ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dlpipe.optim.surfaces import Surface

OptimizerFactory = Callable[[list[torch.Tensor]], torch.optim.Optimizer]

# A point farther than this many times the plotted extent counts as diverged.
BOX_SCALE = 100.0


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Points visited and their values; stops early (``diverged``) on blow-up.

    ``path`` has shape (n, 2) and ``values`` shape (n,), n = steps + 1 unless diverged; both are
    read-only float64 and hold only finite points inside the divergence box.
    """

    path: np.ndarray
    values: np.ndarray
    diverged: bool


def _box_half_width(surface: Surface) -> float:
    """Half-width of the square outside which a run counts as diverged."""
    return BOX_SCALE * max(abs(v) for v in (*surface.xlim, *surface.ylim))


def run_trajectory(
    surface: Surface,
    factory: OptimizerFactory,
    start: tuple[float, float],
    steps: int,
) -> Trajectory:
    """Take ``steps`` optimizer steps from ``start`` on ``surface`` in float64.

    Parameter values are recorded as the optimizer leaves them (for a look-ahead Nesterov that
    is the look-ahead point). A non-finite value or a point outside the box ends the run early
    with ``diverged=True``; that point is not kept.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = factory([point])
    limit = _box_half_width(surface)
    path: list[tuple[float, float]] = []
    values: list[float] = []
    diverged = False
    for step in range(steps + 1):
        loss = surface.fn(point)
        x, y = point.detach().tolist()
        value = float(loss.detach())
        finite = math.isfinite(x) and math.isfinite(y) and math.isfinite(value)
        if not finite or max(abs(x), abs(y)) > limit:
            diverged = True
            break
        path.append((x, y))
        values.append(value)
        if step == steps:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    path_array = np.asarray(path, dtype=np.float64).reshape(-1, 2)
    values_array = np.asarray(values, dtype=np.float64)
    path_array.setflags(write=False)
    values_array.setflags(write=False)
    return Trajectory(path=path_array, values=values_array, diverged=diverged)


def steps_to_tolerance(traj: Trajectory, surface: Surface, tol: float) -> int | None:
    """First step within ``tol`` of the minimum, or None if the run never got there.

    For a surface without a minimum (the saddle) the rule is escaping it: the first step with
    f <= ``surface.escape_value``; ``tol`` plays no part there.
    """
    if tol <= 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    if surface.minimum is None:
        hits = np.flatnonzero(traj.values <= surface.escape_value)
    else:
        distance = np.linalg.norm(traj.path - np.asarray(surface.minimum), axis=1)
        hits = np.flatnonzero(distance <= tol)
    return int(hits[0]) if hits.size else None
