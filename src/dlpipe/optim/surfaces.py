"""2-D test surfaces for the optimizer trajectory pictures.

Each surface function reads ``p[0]`` as x and ``p[1]`` as y and uses only elementwise torch
operations, so the same function serves a 2-tensor (optimization, autograd) and a stacked grid
of shape ``(2, ...)`` (contour plots).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import torch

SurfaceFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Surface:
    """A test function plus what the pictures and the convergence rule need to know.

    A surface has either a ``minimum`` (convergence = getting close to it) or, when it is
    unbounded below like the saddle, an ``escape_value`` (convergence = f dropping to or below it).
    """

    name: str
    fn: SurfaceFn
    minimum: tuple[float, float] | None
    min_value: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    log_contours: bool
    escape_value: float | None = None

    def __post_init__(self) -> None:
        if (self.minimum is None) == (self.escape_value is None):
            raise ValueError(f"surface {self.name!r}: give exactly one of minimum, escape_value")
        if self.xlim[0] >= self.xlim[1] or self.ylim[0] >= self.ylim[1]:
            raise ValueError(f"surface {self.name!r}: limits must be increasing")


def beale(p: torch.Tensor) -> torch.Tensor:
    """Beale's function: flat plateaus and steep walls, minimum 0 at (3, 0.5)."""
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(p: torch.Tensor) -> torch.Tensor:
    """x^2 - y^2: a saddle at the origin, unbounded below along y."""
    return p[0] ** 2 - p[1] ** 2


def valley(p: torch.Tensor) -> torch.Tensor:
    """A long narrow valley along x (curvatures 10 and 800), minimum 0 at the origin.

    Scaled so that lr 1e-3 makes plain SGD crawl along the floor while momentum 0.9 is
    underdamped along it (it overshoots the minimum) and zig-zags across it.
    """
    return 5.0 * p[0] ** 2 + 400.0 * p[1] ** 2


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    """Rosenbrock's banana: a curved flat-bottomed valley, minimum 0 at (1, 1)."""
    x, y = p[0], p[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


SURFACES: Mapping[str, Surface] = MappingProxyType(
    {
        "beale": Surface(
            name="beale",
            fn=beale,
            minimum=(3.0, 0.5),
            min_value=0.0,
            xlim=(-1.5, 4.5),
            ylim=(-2.0, 2.5),
            log_contours=True,
        ),
        # Unbounded: "converged" means escaped the saddle, i.e. f <= -1 (|y| >= 1 near x = 0).
        "saddle": Surface(
            name="saddle",
            fn=saddle,
            minimum=None,
            min_value=-math.inf,
            xlim=(-1.5, 1.5),
            ylim=(-1.5, 1.5),
            log_contours=False,
            escape_value=-1.0,
        ),
        "valley": Surface(
            name="valley",
            fn=valley,
            minimum=(0.0, 0.0),
            min_value=0.0,
            xlim=(-10.0, 10.0),
            ylim=(-3.0, 3.0),
            log_contours=False,
        ),
        "rosenbrock": Surface(
            name="rosenbrock",
            fn=rosenbrock,
            minimum=(1.0, 1.0),
            min_value=0.0,
            xlim=(-2.0, 2.0),
            ylim=(-1.0, 3.0),
            log_contours=True,
        ),
    }
)


def get_surface(name: str) -> Surface:
    """Look a surface up by name, failing with the list of valid names."""
    try:
        return SURFACES[name]
    except KeyError:
        valid = ", ".join(sorted(SURFACES))
        raise ValueError(f"unknown surface {name!r}; valid names: {valid}") from None
