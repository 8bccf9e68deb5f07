"""Cost-sensitive decisions: where to cut out-of-fold probabilities when errors cost differently.

A missed cancer (false negative) and an unneeded biopsy (false positive) are not equally bad, so
0.5 is rarely the right threshold. We pick the one that minimises the expected cost per case on
out-of-fold predictions, and report next to it the threshold Bayes' rule gives for calibrated
probabilities, so a reader sees how far the model's scores are from calibrated.

Convention: a case is predicted positive when its probability >= threshold; confusion matrices
are [[TN, FP], [FN, TP]] (rows: true class 0, 1; columns: predicted class 0, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Costs are sums of products of decimal inputs (0.1 * 3 != 0.3 * 1 in floating point); values
# this close are one tie, and thresholds this close are equally far from 0.5.
_TIE = 1e-12


@dataclass(frozen=True, eq=False)
class CostCurve:
    """Expected cost per case at each threshold (read-only arrays, thresholds ascending)."""

    thresholds: np.ndarray
    costs: np.ndarray

    def __post_init__(self) -> None:
        thresholds = np.array(self.thresholds, dtype=np.float64)
        costs = np.array(self.costs, dtype=np.float64)
        if thresholds.ndim != 1 or thresholds.size == 0 or thresholds.shape != costs.shape:
            raise ValueError(
                f"need non-empty 1-D thresholds and costs of one length, got shapes "
                f"{thresholds.shape} and {costs.shape}"
            )
        thresholds.flags.writeable = False
        costs.flags.writeable = False
        object.__setattr__(self, "thresholds", thresholds)
        object.__setattr__(self, "costs", costs)


def confusion_at(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> np.ndarray:
    """2x2 counts [[TN, FP], [FN, TP]] when cases with proba >= threshold are called positive."""
    y, p = _checked_cases(y_true, proba)
    _check_threshold(threshold)
    positive_call = p >= threshold
    positive_case = y == 1
    return np.array(
        [
            [np.sum(~positive_case & ~positive_call), np.sum(~positive_case & positive_call)],
            [np.sum(positive_case & ~positive_call), np.sum(positive_case & positive_call)],
        ],
        dtype=np.int64,
    )


def expected_cost(
    y_true: np.ndarray, proba: np.ndarray, threshold: float, cost_fn: float, cost_fp: float
) -> float:
    """Mean cost per case, (cost_fn * FN + cost_fp * FP) / n; right calls cost nothing."""
    _check_costs(cost_fn, cost_fp)
    matrix = confusion_at(y_true, proba, threshold)
    (_, false_pos), (false_neg, _) = matrix
    return float((cost_fn * false_neg + cost_fp * false_pos) / matrix.sum())


def cost_curve(
    y_true: np.ndarray,
    proba: np.ndarray,
    cost_fn: float,
    cost_fp: float,
    thresholds: np.ndarray | None = None,
) -> CostCurve:
    """Expected cost at each threshold (given ones are sorted and deduplicated).

    By default the thresholds are 0, 1 and every distinct probability: the calls only change at
    a probability, so this curve's minimum is the exact minimum over all thresholds in [0, 1].
    """
    y, p = _checked_cases(y_true, proba)
    _check_costs(cost_fn, cost_fp)
    if thresholds is None:
        cuts = np.unique(np.concatenate([[0.0, 1.0], p]))
    else:
        cuts = np.unique(np.asarray(thresholds, dtype=np.float64))
        if cuts.size == 0 or np.asarray(thresholds).ndim != 1:
            raise ValueError("thresholds must be a non-empty 1-D array")
        for cut in cuts:
            _check_threshold(float(cut))
    # Counting by binary search keeps this O((n + T) log n) rather than an n x T boolean table.
    pos_proba = np.sort(p[y == 1])
    neg_proba = np.sort(p[y == 0])
    false_neg = np.searchsorted(pos_proba, cuts, side="left")  # positives below the cut
    false_pos = neg_proba.size - np.searchsorted(neg_proba, cuts, side="left")  # negatives >= cut
    costs = (cost_fn * false_neg + cost_fp * false_pos) / y.size
    return CostCurve(thresholds=cuts, costs=costs)


def best_threshold(curve: CostCurve) -> tuple[float, float]:
    """(threshold, cost) at the curve's minimum cost.

    Ties (equal up to floating-point noise) go to the threshold closest to 0.5, the usual
    default, then to the lower one.
    """
    costs, cuts = curve.costs, curve.thresholds
    lowest = float(costs.min())
    tied = np.flatnonzero(costs <= lowest + _TIE * max(1.0, abs(lowest)))
    distance = np.abs(cuts[tied] - 0.5)
    nearest = tied[distance <= distance.min() + _TIE]
    chosen = int(nearest[np.argmin(cuts[nearest])])
    return float(cuts[chosen]), float(costs[chosen])


def bayes_threshold(cost_fn: float, cost_fp: float) -> float:
    """cost_fp / (cost_fp + cost_fn): calling positive is cheaper in expectation exactly when
    p * cost_fn >= (1 - p) * cost_fp, if p is a calibrated probability."""
    _check_costs(cost_fn, cost_fp)
    return float(cost_fp / (cost_fp + cost_fn))


def _checked_cases(y_true: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    p = np.asarray(proba, dtype=np.float64)
    if y.ndim != 1 or p.ndim != 1 or y.size == 0:
        raise ValueError(f"expected non-empty 1-D arrays, got shapes {y.shape} and {p.shape}")
    if y.size != p.size:
        raise ValueError(f"y_true has {y.size} cases but proba has {p.size}")
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        found = sorted({str(v) for v in np.unique(y.astype(object))})[:5]
        raise ValueError(f"y_true must hold only 0 and 1 (1 = positive), found {found}")
    if not np.isfinite(p).all() or p.min() < 0.0 or p.max() > 1.0:
        raise ValueError(
            f"probabilities must be finite and in [0, 1], got range [{p.min()}, {p.max()}]"
        )
    return y.astype(np.int64), p


def _check_threshold(threshold: float) -> None:
    number = isinstance(threshold, (int, float, np.number)) and not isinstance(threshold, bool)
    if not (number and 0.0 <= threshold <= 1.0):
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}")


def _check_costs(cost_fn: float, cost_fp: float) -> None:
    for name, value in (("cost_fn", cost_fn), ("cost_fp", cost_fp)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.number))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
