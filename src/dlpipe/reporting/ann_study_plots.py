"""The ANN study's figures: dropout's loss curves, bias/variance curves, search progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dlpipe.atomic import atomic_path

if TYPE_CHECKING:
    from dlpipe.reporting.ann_study_outputs import Curve


def plot_dropout(
    curves: Mapping[str, Mapping[str, Sequence[float]]], rate: float, path: Path
) -> None:
    """Training and validation loss per epoch, without and with dropout, one panel each."""
    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    titles = {"without": "without dropout", "with": f"with dropout {rate:g}"}
    for ax, (name, history) in zip(axes, curves.items(), strict=True):
        epochs = np.arange(1, len(history["train_loss"]) + 1)
        ax.plot(epochs, history["train_loss"], label="training loss")
        ax.plot(epochs, history["val_loss"], label="validation loss")
        ax.fill_between(epochs, history["train_loss"], history["val_loss"], alpha=0.15)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(titles.get(name, name))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("binary cross-entropy")
    axes[0].legend(fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def plot_bias_variance(learning: Curve, capacity: Curve, target: float, path: Path) -> None:
    """Learning curve (score vs training rows) and capacity curve (score vs hidden units)."""
    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, curve, log_x in ((axes[0], learning, False), (axes[1], capacity, True)):
        x = np.asarray(curve.x, dtype=float)
        for label, mean, std in (
            ("training", curve.train_mean, curve.train_std),
            ("validation", curve.val_mean, curve.val_std),
        ):
            mean, std = np.asarray(mean), np.asarray(std)
            ax.plot(x, mean, marker="o", label=label)
            ax.fill_between(x, mean - std, mean + std, alpha=0.15)
        ax.axhline(target, linestyle="--", color="grey", label=f"target {target:g}")
        if log_x:
            ax.set_xscale("log", base=2)
        ax.set_xlabel(curve.x_label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("ROC AUC")
    axes[0].set_title("learning curve")
    axes[1].set_title("capacity curve")
    axes[0].legend(fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def plot_search(progress: Mapping[str, Sequence[float]], path: Path) -> None:
    """Best CV ROC AUC so far against evaluations used, one line per strategy."""
    fig = Figure(figsize=(6.5, 4), dpi=100, layout="constrained")
    ax = fig.subplots()
    for name, best in progress.items():
        ax.plot(range(1, len(best) + 1), best, marker="o", label=name)
    ax.set_xlabel("CV evaluations used")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("best mean CV ROC AUC so far")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Search strategies at equal budget")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
