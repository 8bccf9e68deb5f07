"""Pictures of a forecast: predicted vs actual prices, and how the errors are distributed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dlpipe.atomic import atomic_path


def plot_forecast(
    dates: pd.DatetimeIndex,
    actual: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    path,
    title: str,
) -> None:
    """Actual prices over the test period with each given model's next-day prediction."""
    fig = Figure(figsize=(11, 4.5), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.plot(dates, actual, color="black", linewidth=1.6, label="actual")
    for name, values in predictions.items():
        ax.plot(dates, values, linewidth=1.0, alpha=0.85, label=name)
    ax.set_ylabel("price")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def plot_errors(actual: np.ndarray, predictions: Mapping[str, np.ndarray], path) -> None:
    """Histograms of the prediction errors (predicted - actual), one per model, shared bins."""
    errors = {name: values - actual for name, values in predictions.items()}
    spread = max(float(np.percentile(np.abs(e), 99)) for e in errors.values()) or 1.0
    bins = np.linspace(-spread, spread, 61)
    fig = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    ax = fig.subplots()
    for name, values in errors.items():
        ax.hist(values, bins=bins, histtype="step", linewidth=1.4, label=name)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("error (predicted - actual price)")
    ax.set_ylabel("test days")
    ax.set_title("Error distribution on the test days")
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
