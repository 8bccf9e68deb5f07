"""The test faces' embeddings in 2-D, one colour per person: do the people form clusters?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from dlpipe.atomic import atomic_path


def plot_embedding_map(
    coords: np.ndarray,
    labels: Sequence[int],
    classes: Sequence[str],
    path: Path,
    title: str,
    wrong: Sequence[bool] = (),
) -> None:
    """`coords` (N x 2) coloured by the person of `labels`; faces flagged in `wrong` (the
    model's mistakes) ringed in black."""
    coords, labels = np.asarray(coords, np.float64).reshape(-1, 2), np.asarray(labels)
    fig = Figure(figsize=(6.5, 5.0), dpi=100, layout="constrained")
    ax = fig.subplots()
    palette = colormaps["tab10"]
    colours = [palette(i % palette.N) for i in range(len(classes))]
    for i, person in enumerate(classes):
        rows = labels == i
        if rows.any():
            ax.scatter(*coords[rows].T, s=36, color=colours[i], label=person)
    flags = np.asarray(wrong, bool)
    if flags.size == len(coords) and flags.any():
        ax.scatter(*coords[flags].T, s=120, facecolors="none", edgecolors="black", label="wrong")
    ax.set_title(title)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.legend(fontsize="small", loc="best")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
