"""Is one classifier better than another on the same test photos, or is the gap noise?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest


@dataclass(frozen=True)
class McNemar:
    only_a: int  # photos model A gets right and model B wrong
    only_b: int
    p_value: float  # exact two-sided; 1.0 when the models never disagree


def mcnemar_exact(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> McNemar:
    """McNemar's exact test: only the photos where exactly one model is right carry evidence.

    With a few dozen test photos the exact binomial form is the right one (the chi-square
    approximation needs many disagreements).
    """
    y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    if not (y_true.shape == pred_a.shape == pred_b.shape):
        raise ValueError(f"shapes differ: truth {y_true.shape}, A {pred_a.shape}, B {pred_b.shape}")
    right_a, right_b = pred_a == y_true, pred_b == y_true
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    if only_a + only_b == 0:
        return McNemar(only_a, only_b, 1.0)
    p_value = binomtest(only_a, only_a + only_b, 0.5, alternative="two-sided").pvalue
    return McNemar(only_a, only_b, float(p_value))
