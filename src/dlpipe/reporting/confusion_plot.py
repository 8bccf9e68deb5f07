"""A confusion matrix as a PNG: counts in the cells, true classes down, predictions across."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from dlpipe.atomic import atomic_path


def plot_confusion(
    matrix: Sequence[Sequence[int]] | np.ndarray, classes: Sequence[str], path: Path, title: str
) -> None:
    counts = np.asarray(matrix, dtype=np.int64)
    k = len(classes)
    if counts.shape != (k, k):
        raise ValueError(f"a {counts.shape} matrix for {k} classes; expected ({k}, {k})")
    side = 2.0 + 0.7 * k
    fig = Figure(figsize=(side + 1.0, side), dpi=100, layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(int(counts.max()), 1))
    fig.colorbar(image, ax=ax, shrink=0.8)
    threshold = counts.max() / 2 if counts.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                str(counts[i, j]),
                ha="center",
                va="center",
                color="white" if counts[i, j] > threshold else "black",
            )
    ax.set_xticks(range(k), classes, rotation=45, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
