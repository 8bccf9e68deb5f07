"""Training curves of several runs on one figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dlpipe.atomic import atomic_path


def plot_curves(
    curves: Mapping[str, Mapping[str, Sequence[float]]],
    keys: Sequence[str],
    path: Path,
    title: str,
) -> None:
    """One panel per metric key (e.g. train/loss, val/loss), one line per run, saved as PNG."""
    fig = Figure(figsize=(5 * len(keys), 4), dpi=100, layout="constrained")
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys, strict=True):
        for name, history in curves.items():
            values = history.get(key, ())
            ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(key)
        ax.set_title(key)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
