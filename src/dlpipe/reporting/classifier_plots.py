"""The evaluation chapter's comparison figures: ROC curves and the expected-cost curve."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from dlpipe.atomic import atomic_path


def plot_roc(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray, float]], path: Path, title: str
) -> None:
    """Every model's cross-validated ROC curve (label -> fpr, tpr, AUC) with the random line;
    the right panel zooms on the top-left corner, where good models differ."""
    fig = Figure(figsize=(11, 5), dpi=100, layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, (low_x, high_x, low_y) in zip(axes, ((0, 1, 0), (0, 0.2, 0.8)), strict=True):
        for label, (fpr, tpr, auc) in curves.items():
            ax.step(fpr, tpr, where="post", label=f"{label} (AUC {auc:.4f})")
        ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random (AUC 0.5)")
        pad = 0.01 * (high_x - low_x)
        ax.set_xlim(low_x - pad, high_x + pad)
        ax.set_ylim(low_y - pad, 1 + pad)
        ax.set_xlabel("false positive rate (1 - specificity)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("true positive rate (sensitivity)")
    axes[0].set_title(title)
    axes[1].set_title("zoom: false positive rate <= 0.2")
    axes[1].legend(fontsize=8, loc="lower right")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def plot_cost_curve(
    thresholds: np.ndarray,
    costs: np.ndarray,
    marks: Mapping[str, float],
    path: Path,
    title: str,
) -> None:
    """Expected cost per case over the threshold, with vertical lines at `marks` (name -> t)."""
    fig = Figure(figsize=(6.5, 4), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.step(thresholds, costs, where="post", color="black", label="expected cost per case")
    styles = ("-", "--", ":", "-.")
    for i, (name, threshold) in enumerate(marks.items()):
        ax.axvline(threshold, linestyle=styles[i % len(styles)], color=f"C{i}", label=name)
    ax.set_xlabel("threshold on P(positive)")
    ax.set_ylabel("expected cost per case")
    ax.set_xlim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
