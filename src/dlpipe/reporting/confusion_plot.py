"""Confusion matrices as PNGs: counts in the cells, true classes down, predictions across."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dlpipe.atomic import atomic_path


def plot_confusion(
    matrix: Sequence[Sequence[int]] | np.ndarray, classes: Sequence[str], path: Path, title: str
) -> None:
    """One matrix on its own figure."""
    plot_confusions([(matrix, title)], classes, path)


def plot_confusions(
    panels: Sequence[tuple[Sequence[Sequence[int]] | np.ndarray, str]],
    classes: Sequence[str],
    path: Path,
) -> None:
    """Several matrices of the same classes side by side, each with its title, on one scale."""
    k = len(classes)
    matrices = [np.asarray(matrix, dtype=np.int64) for matrix, _ in panels]
    for counts in matrices:
        if counts.shape != (k, k):
            raise ValueError(f"a {counts.shape} matrix for {k} classes; expected ({k}, {k})")
    side = 2.0 + 0.7 * k
    fig = Figure(figsize=((side + 1.0) * len(panels), side), dpi=100, layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    top = max((int(counts.max()) for counts in matrices if counts.size), default=1)
    for ax, counts, (_, title) in zip(axes, matrices, panels, strict=True):
        image = _draw(ax, counts, classes, title, max(top, 1))
    fig.colorbar(image, ax=list(axes), shrink=0.8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def _draw(ax: Axes, counts: np.ndarray, classes: Sequence[str], title: str, top: int) -> object:
    k = len(classes)
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=top)
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(counts[i, j]),
                ha="center",
                va="center",
                color="white" if counts[i, j] > top / 2 else "black",
            )
    ax.set_xticks(range(k), classes, rotation=45, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return image
