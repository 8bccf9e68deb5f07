"""The optimizer animations' numbers: every optimizer from one start on one surface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dlpipe.optim.factory import optimizer_factory
from dlpipe.optim.surfaces import Surface
from dlpipe.optim.trajectories import Trajectory, run_trajectory, steps_to_tolerance

NOT_CONVERGED = "did not converge"


@dataclass(frozen=True)
class SurfaceTrace:
    """All optimizers' paths on one surface and the steps each needed to reach the tolerance."""

    surface: Surface
    start: tuple[float, float]
    trajectories: Mapping[str, Trajectory]
    steps_needed: Mapping[str, int | None]

    def table_row(self) -> dict[str, dict[str, object]]:
        """Per optimizer: steps to tolerance (None if never), and a status a person can read."""
        return {
            name: {
                "steps": steps,
                "status": "converged"
                if steps is not None
                else ("diverged" if self.trajectories[name].diverged else NOT_CONVERGED),
                "final_value": float(self.trajectories[name].values[-1]),
            }
            for name, steps in self.steps_needed.items()
        }


def trace_surface(
    surface: Surface,
    start: tuple[float, float],
    steps: int,
    tolerance: float,
    optimizers: Mapping[str, Mapping[str, float]],
) -> SurfaceTrace:
    """Run each configured optimizer (name -> hyperparameters) from `start` for `steps` steps."""
    trajectories = {
        name: run_trajectory(surface, optimizer_factory(name, hyper), start, steps)
        for name, hyper in optimizers.items()
    }
    needed = {
        name: steps_to_tolerance(traj, surface, tolerance) for name, traj in trajectories.items()
    }
    return SurfaceTrace(surface, start, trajectories, needed)
