"""The generative chapter's figures beyond image grids: the latent map, class histograms, and
the adversarial losses per step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from dlpipe.atomic import atomic_path


def plot_latent_map(
    means: np.ndarray, labels: np.ndarray, class_names: Sequence[str], path: Path
) -> None:
    """Test images' 2-D latent means, coloured by class (one legend entry per class name)."""
    fig = Figure(figsize=(7.5, 5.5), dpi=100, layout="constrained")
    ax = fig.subplots()
    cmap = colormaps["tab10" if len(class_names) <= 10 else "tab20"]
    for k, name in enumerate(class_names):
        chosen = labels == k
        if chosen.any():
            color = cmap(k % cmap.N)
            ax.scatter(means[chosen, 0], means[chosen, 1], color=color, s=3, alpha=0.7, label=name)
    ax.legend(fontsize=7, markerscale=3, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title("Test images in the 2-D latent space (posterior means)")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def plot_class_histograms(
    shares: Mapping[str, Sequence[float]], class_names: Sequence[str], path: Path
) -> None:
    """Each image set's share per class (as the judge classifies it), bars side by side."""
    fig = Figure(figsize=(7, 3.5), dpi=100, layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(len(shares), 1)
    for i, (name, values) in enumerate(shares.items()):
        x = np.arange(len(values)) + (i - (len(shares) - 1) / 2) * width
        ax.bar(x, values, width=width, label=name)
    k = len(next(iter(shares.values()), ()))
    if k:
        ax.axhline(1 / k, color="grey", linestyle="--", linewidth=1, label="uniform")
        ax.set_xticks(
            range(k), class_names[:k], rotation=30 if max(map(len, class_names)) > 2 else 0
        )
    ax.set_xlabel("class (the judge's argmax)")
    ax.set_ylabel("share of images")
    ax.legend(fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def plot_adversarial(history: Mapping[str, Sequence[float]], path: Path, smooth: int = 25) -> None:
    """Losses (left) and D(x), D(G(z)) (right) per step, with a running mean over `smooth`."""
    fig = Figure(figsize=(11, 4), dpi=100, layout="constrained")
    left, right = fig.subplots(1, 2)
    for ax, keys in ((left, ("d_loss", "g_loss")), (right, ("d_real", "d_fake"))):
        for key in keys:
            values = np.asarray(history[key], dtype=float)
            ax.plot(values, alpha=0.25, linewidth=0.6)
            if len(values) >= smooth:
                kernel = np.ones(smooth) / smooth
                ax.plot(
                    np.arange(smooth - 1, len(values)),
                    np.convolve(values, kernel, "valid"),
                    label=key,
                    color=ax.lines[-1].get_color(),
                )
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    left.set_title("discriminator and generator loss")
    right.set_title("D(x) on real, D(G(z)) on generated")
    right.set_ylim(0, 1)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
