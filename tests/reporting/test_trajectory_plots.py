"""Trajectory PNG and GIF: valid files of the promised size and frame count, written atomically."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image, ImageSequence

from dlpipe.optim.surfaces import get_surface
from dlpipe.optim.trajectories import Trajectory, run_trajectory
from dlpipe.reporting.trajectory_plots import animate_paths, plot_paths

START = (-9.0, 1.5)


@pytest.fixture(scope="module")
def valley_runs() -> dict[str, Trajectory]:
    valley = get_surface("valley")
    factories = {
        "sgd": lambda p: torch.optim.SGD(p, lr=1e-3),
        "momentum": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
        "adam": lambda p: torch.optim.Adam(p, lr=0.1),
        "too fast": lambda p: torch.optim.SGD(p, lr=0.1),
    }
    return {name: run_trajectory(valley, f, START, 60) for name, f in factories.items()}


def test_plot_paths_writes_a_png(tmp_path: Path, valley_runs: dict[str, Trajectory]):
    out = tmp_path / "figs" / "valley.png"
    plot_paths(get_surface("valley"), valley_runs, out, START)
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (600, 500)
    assert [p.name for p in out.parent.iterdir()] == ["valley.png"]


def test_plot_paths_handles_the_saddle(tmp_path: Path):
    saddle = get_surface("saddle")
    runs = {"adam": run_trajectory(saddle, lambda p: torch.optim.Adam(p, lr=0.1), (1.0, 1e-3), 80)}
    out = tmp_path / "saddle.png"
    plot_paths(saddle, runs, out, (1.0, 1e-3))
    with Image.open(out) as image:
        assert image.format == "PNG"


def _frames(path: Path) -> list[Image.Image]:
    with Image.open(path) as image:
        assert image.format == "GIF"
        return [frame.copy() for frame in ImageSequence.Iterator(image)]


def test_animate_paths_writes_the_requested_frames(
    tmp_path: Path, valley_runs: dict[str, Trajectory]
):
    out = tmp_path / "valley.gif"
    animate_paths(get_surface("valley"), valley_runs, out, frames=12, fps=10)
    frames = _frames(out)
    assert len(frames) == 12
    assert frames[0].size == (480, 400)
    assert [p.name for p in tmp_path.iterdir()] == ["valley.gif"]


def test_animate_paths_caps_frames_at_the_number_of_steps(tmp_path: Path):
    valley = get_surface("valley")
    runs = {"sgd": run_trajectory(valley, lambda p: torch.optim.SGD(p, lr=1e-3), START, 5)}
    out = tmp_path / "short.gif"
    animate_paths(valley, runs, out, frames=50, fps=10)
    assert len(_frames(out)) == 6


def test_animate_paths_replaces_and_rejects_bad_arguments(
    tmp_path: Path, valley_runs: dict[str, Trajectory]
):
    out = tmp_path / "valley.gif"
    out.write_bytes(b"old")
    animate_paths(get_surface("valley"), valley_runs, out, frames=3, fps=5)
    assert len(_frames(out)) == 3
    with pytest.raises(ValueError, match="frames"):
        animate_paths(get_surface("valley"), valley_runs, tmp_path / "bad.gif", frames=0, fps=5)
    assert [p.name for p in tmp_path.iterdir()] == ["valley.gif"]
