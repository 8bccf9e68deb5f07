"""Optimizer trajectories over a surface's contours: a still PNG and an animated GIF.

Figures are built as ``Figure`` + ``FigureCanvasAgg`` so no global matplotlib state (pyplot,
backend) is touched; files are written to a temporary sibling and renamed, so a reader never
sees half a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib
import numpy as np
import torch
from matplotlib.animation import PillowWriter
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image

from dlpipe.atomic import atomic_path
from dlpipe.optim.surfaces import Surface
from dlpipe.optim.trajectories import Trajectory

RGBA = tuple[float, float, float, float]

FIGSIZE = (6.0, 5.0)
PNG_DPI = 100
GIF_DPI = 80
GRID_POINTS = 200
# Old trail segments keep this much opacity, so the whole path stays faintly visible.
TRAIL_FLOOR_ALPHA = 0.35
# Fraction of the animation over which a trail segment fades down to the floor.
TRAIL_FADE_FRACTION = 0.15


def _new_axes(dpi: int) -> tuple[Figure, Axes]:
    """A figure on its own Agg canvas, with room on the right for the legend."""
    fig = Figure(figsize=FIGSIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.11, 0.1, 0.61, 0.8))
    return fig, ax


def _draw_surface(ax: Axes, surface: Surface) -> None:
    """Contours over the surface's window (log-spaced where asked), its minimum or escape line."""
    xs = np.linspace(*surface.xlim, GRID_POINTS)
    ys = np.linspace(*surface.ylim, GRID_POINTS)
    gx, gy = np.meshgrid(xs, ys)
    with torch.no_grad():
        grid = torch.from_numpy(np.stack([gx, gy]))
        raw = surface.fn(grid).numpy()
    z = raw
    if surface.log_contours:
        shifted = raw - raw.min()
        z = np.log10(shifted + max(shifted.max() * 1e-6, 1e-12))
    ax.contour(gx, gy, z, levels=30, cmap="viridis", linewidths=0.7, alpha=0.8)
    if surface.escape_value is not None:
        ax.contour(gx, gy, raw, levels=[surface.escape_value], colors="crimson", linestyles="--")
        ax.plot([], [], "--", color="crimson", label=f"escaped: f <= {surface.escape_value:g}")
    if surface.minimum is not None:
        ax.plot(*surface.minimum, "*", color="crimson", markersize=16, label="minimum", zorder=5)
    ax.set_xlim(surface.xlim)
    ax.set_ylim(surface.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def _colours(count: int) -> list[RGBA]:
    """One distinct colour per optimizer."""
    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % cmap.N) for i in range(count)]


def _legend(ax: Axes) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)


def plot_paths(
    surface: Surface,
    trajectories: Mapping[str, Trajectory],
    path: Path,
    start: tuple[float, float],
) -> None:
    """Write one PNG: every optimizer's full path over the surface's contours."""
    fig, ax = _new_axes(PNG_DPI)
    _draw_surface(ax, surface)
    ax.plot(*start, "o", color="black", markersize=7, label="start", zorder=6)
    for (name, traj), colour in zip(trajectories.items(), _colours(len(trajectories)), strict=True):
        label = f"{name} (stopped)" if traj.diverged else name
        ax.plot(traj.path[:, 0], traj.path[:, 1], "-", color=colour, linewidth=1.5, label=label)
        if len(traj.path):
            end_marker = "X" if traj.diverged else "o"
            ax.plot(*traj.path[-1], end_marker, color=colour, markeredgecolor="black", zorder=7)
    ax.set_title(f"{surface.name}: optimizer paths from {start}")
    _legend(ax)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=PNG_DPI)


def _frame_steps(trajectories: Mapping[str, Trajectory], frames: int) -> np.ndarray:
    """Distinct step indices to show, evenly spread over the longest run."""
    longest = max(len(t.path) for t in trajectories.values())
    count = min(frames, longest)
    return np.unique(np.linspace(0, longest - 1, count).astype(int))


def _thinned_indices(points: np.ndarray, pixel: tuple[float, float]) -> np.ndarray:
    """Indices of path points at least a pixel apart: the trail needs no finer detail.

    Thousands of sub-pixel steps near a minimum would otherwise make every frame slow to draw.
    """
    px, py = pixel
    keep = [0]
    kx, ky = points[0].tolist()
    for i, (x, y) in enumerate(points[1:].tolist(), start=1):
        if abs(x - kx) >= px or abs(y - ky) >= py:
            keep.append(i)
            kx, ky = x, y
    return np.asarray(keep)


def _trail(
    path: np.ndarray,
    kept: np.ndarray,
    last: int,
    colour: RGBA,
    fade_steps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The trail up to step ``last``: faint old points, and recent segments with their colours.

    Only the recent part fades segment by segment; the old part is one faint line, which keeps
    the per-frame drawing cost flat however long the run.
    """
    indices = kept[: np.searchsorted(kept, last, side="right")]
    if indices[-1] != last:
        indices = np.append(indices, last)
    age = last - indices
    split = int(np.searchsorted(-age, -fade_steps, side="right"))
    split = min(max(split - 1, 0), len(indices) - 1)
    history = path[indices[: split + 1]]
    recent = path[indices[split:]]
    segments = np.stack([recent[:-1], recent[1:]], axis=1)
    colours = np.tile(np.asarray(colour), (len(segments), 1))
    colours[:, 3] = np.clip(1.0 - age[split + 1 :] / fade_steps, TRAIL_FLOOR_ALPHA, 1.0)
    return history, segments, colours


class _SharedPalettePillowWriter(PillowWriter):
    """PillowWriter that gives every frame one palette, taken from the last (fullest) frame.

    Pillow would otherwise run median cut on each frame (~20 ms per 480x400 frame, most of the
    render time) and, with a palette per frame, store nearly every frame whole (MBs). Relies on
    PillowWriter keeping its RGB frames in ``_frames`` (matplotlib 3.11); the GIF tests catch a
    change.
    """

    def finish(self) -> None:
        if self._frames:
            palette = self._frames[-1].quantize(256, method=Image.Quantize.FASTOCTREE)
            self._frames = [
                frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in self._frames
            ]
        super().finish()


def _background(surface: Surface, names: list[str], colours: list[RGBA]) -> np.ndarray:
    """Render the static part of an animation frame (contours, axes, legend) once, as pixels."""
    fig, ax = _new_axes(GIF_DPI)
    _draw_surface(ax, surface)
    for name, colour in zip(names, colours, strict=True):
        ax.plot([], [], "o", color=colour, markeredgecolor="black", markersize=8, label=name)
    _legend(ax)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def animate_paths(
    surface: Surface,
    trajectories: Mapping[str, Trajectory],
    path: Path,
    frames: int,
    fps: int,
) -> None:
    """Write an animated GIF: each optimizer a moving dot with a fading trail.

    The steps are subsampled to at most ``frames`` frames (fewer when the longest run has fewer
    points); a run that stopped early stays at its last point. Contours, ticks and legend are
    rendered once and pasted under a bare overlay axes, which keeps each frame cheap.
    """
    if frames < 1 or fps < 1:
        raise ValueError(f"frames and fps must be >= 1, got {frames}, {fps}")
    if not trajectories or any(len(t.path) == 0 for t in trajectories.values()):
        raise ValueError("every trajectory needs at least one point")
    colours = _colours(len(trajectories))
    background = _background(surface, list(trajectories), colours)
    fig, ax = _new_axes(GIF_DPI)
    fig.figimage(background, zorder=-1)
    ax.set_xlim(surface.xlim)
    ax.set_ylim(surface.ylim)
    ax.set_axis_off()
    steps = _frame_steps(trajectories, frames)
    fade_steps = max(1.0, TRAIL_FADE_FRACTION * steps[-1])
    pixel = (
        (surface.xlim[1] - surface.xlim[0]) / ax.bbox.width,
        (surface.ylim[1] - surface.ylim[0]) / ax.bbox.height,
    )
    runs = []
    for traj, colour in zip(trajectories.values(), colours, strict=True):
        (history,) = ax.plot([], [], "-", color=colour, alpha=TRAIL_FLOOR_ALPHA, linewidth=2.0)
        recent = LineCollection([], linewidths=2.0, zorder=6)
        ax.add_collection(recent)
        (dot,) = ax.plot([], [], "o", color=colour, markeredgecolor="black", markersize=8, zorder=7)
        runs.append((traj.path, _thinned_indices(traj.path, pixel), colour, history, recent, dot))
    title = ax.set_title("")
    writer = _SharedPalettePillowWriter(fps=fps)
    with atomic_path(path) as tmp, writer.saving(fig, str(tmp), dpi=GIF_DPI):
        for step in steps:
            for points, kept, colour, history, recent, dot in runs:
                last = min(int(step), len(points) - 1)
                old, segments, seg_colours = _trail(points, kept, last, colour, fade_steps)
                history.set_data(old[:, 0], old[:, 1])
                recent.set_segments(segments)
                recent.set_color(seg_colours)
                dot.set_data([points[last, 0]], [points[last, 1]])
            title.set_text(f"{surface.name}: step {step}")
            writer.grab_frame()
