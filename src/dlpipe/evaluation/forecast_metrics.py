"""Forecast metrics on prices, the table that sets each model next to persistence, and
walk-forward splits.

All inputs are 1-D, equally long, non-empty and finite (a NaN forecast is a bug, not a score).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from dlpipe.evaluation.errors import checked_arrays, mae, rmse

METRICS = ("rmse", "mae", "mape", "direction_accuracy", "rmse_ratio_to_persistence")


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """MAPE in percent: 100 * mean(|a - p| / |a|); a zero actual raises."""
    a, p = checked_arrays(actual, predicted)
    if (a == 0).any():
        raise ValueError("MAPE is undefined where the actual value is 0")
    return float(100.0 * np.mean(np.abs(a - p) / np.abs(a)))


def direction_accuracy(reference: np.ndarray, actual: np.ndarray, predicted: np.ndarray) -> float:
    """Share of days with sign(predicted - reference) == sign(actual - reference), over the days
    where actual != reference. A zero-change prediction counts as wrong; NaN when every prediction
    equals the reference (no direction is ever called, e.g. persistence) or no day moved."""
    r, a, p = checked_arrays(reference, actual, predicted)
    moved = a != r
    if (p == r).all() or not moved.any():
        return float("nan")
    return float(np.mean(np.sign(p[moved] - r[moved]) == np.sign(a[moved] - r[moved])))


def metric_table(
    actual: np.ndarray, reference: np.ndarray, predictions: Mapping[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """{model: {metric: value}} for every metric in METRICS, all on the same days.
    `rmse_ratio_to_persistence` is model RMSE / persistence RMSE (< 1 beats it; NaN if persistence
    is exact); `predictions` must contain "persistence"."""
    if "persistence" not in predictions:
        raise ValueError("predictions must include 'persistence' to compare against")
    base = rmse(actual, predictions["persistence"])
    table = {}
    for name, predicted in predictions.items():
        error = rmse(actual, predicted)
        table[name] = {
            "rmse": error,
            "mae": mae(actual, predicted),
            "mape": mape(actual, predicted),
            "direction_accuracy": direction_accuracy(reference, actual, predicted),
            "rmse_ratio_to_persistence": error / base if base > 0 else float("nan"),
        }
    return table


def walk_forward_splits(
    n_samples: int, first_test: int, windows: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Samples first_test .. n_samples-1 cut into `windows` successive blocks (sizes differ by at
    most one, earlier blocks larger); each block is tested after training on every sample before
    it (an expanding window)."""
    if not 0 < first_test < n_samples:
        raise ValueError(f"first_test must be in [1, {n_samples - 1}], got {first_test}")
    if not 1 <= windows <= n_samples - first_test:
        raise ValueError(f"windows must be in [1, {n_samples - first_test}], got {windows}")
    blocks = np.array_split(np.arange(first_test, n_samples), windows)
    return [(np.arange(block[0]), block) for block in blocks]
