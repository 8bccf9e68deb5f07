"""Is one forecast really better than another, or is the gap noise? (Diebold-Mariano, h = 1.)"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def diebold_mariano(
    actual: np.ndarray, first: np.ndarray, second: np.ndarray
) -> tuple[float, float]:
    """(statistic, two-sided p-value) for equal squared-error loss of two one-step forecasts.

    d_t = (first_t - actual_t)^2 - (second_t - actual_t)^2; DM = mean(d) / sqrt(var(d) / n),
    standard normal under the null. Negative: `first` has the smaller errors. NaN when the two
    forecasts are identical (no difference to test).
    """
    actual, first, second = (np.asarray(a, dtype=np.float64) for a in (actual, first, second))
    if not (actual.shape == first.shape == second.shape) or actual.ndim != 1 or len(actual) < 2:
        raise ValueError("need three 1-D arrays of the same length, at least 2 values")
    d = (first - actual) ** 2 - (second - actual) ** 2
    spread = d.std(ddof=1)
    if spread == 0.0:
        return math.nan, math.nan
    statistic = float(d.mean() / (spread / math.sqrt(len(d))))
    return statistic, float(2.0 * stats.norm.sf(abs(statistic)))
