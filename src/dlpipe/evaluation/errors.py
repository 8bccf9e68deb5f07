"""Pointwise error measures shared by every family (forecasts, ratings)."""

from __future__ import annotations

import numpy as np


def checked_arrays(*arrays: np.ndarray) -> list[np.ndarray]:
    """float64 copies of same-shape, non-empty, finite 1-D arrays; anything else is an error."""
    out = [np.asarray(a, dtype=np.float64) for a in arrays]
    shape = out[0].shape
    if len(shape) != 1 or shape[0] == 0:
        raise ValueError(f"expected non-empty 1-D arrays, got shape {shape}")
    if any(a.shape != shape for a in out):
        raise ValueError(f"shapes differ: {[a.shape for a in out]}")
    if not all(np.isfinite(a).all() for a in out):
        raise ValueError("NaN or infinite values")
    return out


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Root mean squared error, pooled over all values (the standard figure)."""
    a, p = checked_arrays(actual, predicted)
    return float(np.sqrt(np.mean((a - p) ** 2)))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute error, pooled over all values."""
    a, p = checked_arrays(actual, predicted)
    return float(np.mean(np.abs(a - p)))
