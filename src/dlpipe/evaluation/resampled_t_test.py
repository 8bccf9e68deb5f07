"""Is model A better than model B across the same repeated K-fold splits, or is the gap noise?

The naive paired t-test treats the J = K x R per-split scores as independent, but the training
sets overlap heavily, so the scores are correlated and the naive test finds "significant"
differences far too often. Nadeau & Bengio (2003) widen the variance by the test/train size
ratio, which keeps the test's false-positive rate near its nominal level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ResampledTTest:
    mean_difference: float  # mean over the splits of score_a - score_b
    t: float  # 0.0 or +-inf when every split gives the same difference (see the function)
    df: int  # J - 1
    p_value: float  # two-sided


def corrected_resampled_t_test(
    scores_a: np.ndarray, scores_b: np.ndarray, n_train: int, n_test: int
) -> ResampledTTest:
    """Nadeau-Bengio corrected resampled t-test on paired per-split scores.

    `scores_a[j]` and `scores_b[j]` come from the same split j (all J = K x R of them);
    `n_train`, `n_test` are the rows in one split's training and test part. The variance of the
    mean difference is (1/J + n_test/n_train) * s^2 instead of the naive s^2 / J, with s^2 the
    sample variance (ddof=1) of the differences; t has J - 1 degrees of freedom.

    When every difference is the same (s^2 == 0) the t statistic is undefined; we return
    t = 0, p = 1 if that difference is 0 (the models never differ), and t = +-inf, p = 0
    otherwise (one model wins every split by exactly the same margin).
    """
    a, b = _paired_scores(scores_a, scores_b)
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    differences = a - b
    splits = differences.size
    mean = float(differences.mean())
    variance = float(differences.var(ddof=1))
    df = splits - 1
    if variance == 0.0:
        if mean == 0.0:
            return ResampledTTest(mean, 0.0, df, 1.0)
        return ResampledTTest(mean, math.copysign(math.inf, mean), df, 0.0)
    corrected = (1.0 / splits + n_test / n_train) * variance
    t = mean / math.sqrt(corrected)
    p_value = 2.0 * float(stats.t.sf(abs(t), df))
    return ResampledTTest(mean, t, df, min(p_value, 1.0))


def _paired_scores(scores_a: np.ndarray, scores_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(scores_a, dtype=np.float64)
    b = np.asarray(scores_b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"expected 1-D score arrays, got shapes {a.shape} and {b.shape}")
    if a.size != b.size:
        raise ValueError(f"scores_a has {a.size} splits but scores_b has {b.size}")
    if a.size < 2:
        raise ValueError(f"need at least 2 splits for a variance, got {a.size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("scores contain NaN or infinite values")
    return a, b
