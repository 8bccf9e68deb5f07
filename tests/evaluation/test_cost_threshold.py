from __future__ import annotations

import numpy as np
import pytest

from dlpipe.evaluation.cost_threshold import (
    CostCurve,
    bayes_threshold,
    best_threshold,
    confusion_at,
    cost_curve,
    expected_cost,
)

# Eight cases, sorted by probability; positives at 0.35, 0.60, 0.80, 0.90.
Y = np.array([0, 0, 1, 0, 0, 1, 1, 1])
P = np.array([0.10, 0.20, 0.35, 0.40, 0.55, 0.60, 0.80, 0.90])
COST_FN, COST_FP = 5.0, 1.0

# By hand, cost = (5 FN + 1 FP) / 8 at each default threshold (0, 1 and every probability):
#   t     FN FP  cost
#   0.00   0  4  4/8
#   0.10   0  4  4/8
#   0.20   0  3  3/8
#   0.35   0  2  2/8   <- minimum
#   0.40   1  2  7/8
#   0.55   1  1  6/8
#   0.60   1  0  5/8
#   0.80   2  0  10/8
#   0.90   3  0  15/8
#   1.00   4  0  20/8
HAND_THRESHOLDS = [0.0, 0.10, 0.20, 0.35, 0.40, 0.55, 0.60, 0.80, 0.90, 1.0]
HAND_COSTS = [4 / 8, 4 / 8, 3 / 8, 2 / 8, 7 / 8, 6 / 8, 5 / 8, 10 / 8, 15 / 8, 20 / 8]


def test_confusion_by_hand_at_half_and_at_the_best_threshold() -> None:
    # At 0.5: called positive 0.55 (neg), 0.60, 0.80, 0.90 (pos); 0.35 (pos) missed.
    np.testing.assert_array_equal(confusion_at(Y, P, 0.5), [[3, 1], [1, 3]])
    # At 0.35 every positive is caught; 0.40 and 0.55 are false alarms.
    np.testing.assert_array_equal(confusion_at(Y, P, 0.35), [[2, 2], [0, 4]])
    # A probability equal to the threshold counts as positive.
    np.testing.assert_array_equal(confusion_at(Y, P, 0.40), [[2, 2], [1, 3]])


def test_expected_cost_by_hand() -> None:
    assert expected_cost(Y, P, 0.5, COST_FN, COST_FP) == pytest.approx((5 * 1 + 1 * 1) / 8)
    assert expected_cost(Y, P, 0.35, COST_FN, COST_FP) == pytest.approx(2 / 8)


def test_cost_curve_and_best_threshold_by_hand() -> None:
    curve = cost_curve(Y, P, COST_FN, COST_FP)
    np.testing.assert_allclose(curve.thresholds, HAND_THRESHOLDS)
    np.testing.assert_allclose(curve.costs, HAND_COSTS)
    assert best_threshold(curve) == pytest.approx((0.35, 2 / 8))
    # the curve agrees with expected_cost at every threshold
    direct = [expected_cost(Y, P, t, COST_FN, COST_FP) for t in HAND_THRESHOLDS]
    np.testing.assert_allclose(curve.costs, direct)


def test_the_default_curve_finds_the_minimum_over_a_fine_grid() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1).round(3)
    exact = best_threshold(cost_curve(y, p, 3.0, 1.0))[1]
    fine = cost_curve(y, p, 3.0, 1.0, thresholds=np.linspace(0, 1, 2001))
    assert exact == pytest.approx(fine.costs.min())


def test_ties_go_to_the_threshold_nearest_half_then_the_lower() -> None:
    y, p = np.array([0, 1]), np.array([0.3, 0.7])  # any cut in (0.3, 0.7] is perfect
    assert best_threshold(cost_curve(y, p, 1.0, 1.0, [0.4, 0.5, 0.6, 0.7])) == (0.5, 0.0)
    assert best_threshold(cost_curve(y, p, 1.0, 1.0, [0.6, 0.4])) == (0.4, 0.0)


def test_ties_survive_floating_point_noise() -> None:
    # All negative at 0.95 costs 3 FN x 0.1 = 0.30000000000000004 / 4; all positive at 0.0
    # costs 1 FP x 0.3 = 0.3 / 4. Equal in exact arithmetic, so the nearer to 0.5 (0.95) wins.
    y, p = np.array([1, 1, 1, 0]), np.array([0.05, 0.05, 0.05, 0.9])
    threshold, cost = best_threshold(cost_curve(y, p, 0.1, 0.3, thresholds=[0.0, 0.95]))
    assert threshold == 0.95
    assert cost == pytest.approx(0.075)


def test_bayes_threshold() -> None:
    assert bayes_threshold(5.0, 1.0) == pytest.approx(1 / 6)
    assert bayes_threshold(1.0, 1.0) == 0.5


def test_curve_arrays_are_read_only() -> None:
    curve = cost_curve(Y, P, COST_FN, COST_FP)
    with pytest.raises(ValueError, match="read-only"):
        curve.costs[0] = 0.0
    with pytest.raises(ValueError, match="one length"):
        CostCurve(thresholds=np.array([0.1, 0.2]), costs=np.array([1.0]))


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "only 0 and 1"),
        (["no", "yes"], [0.1, 0.2], "only 0 and 1"),
        ([0, 1], [0.1, 1.2], r"in \[0, 1\]"),
        ([0, 1], [-0.1, 0.5], r"in \[0, 1\]"),
        ([0, 1], [0.1, float("nan")], "finite"),
        ([0, 1, 1], [0.1, 0.2], "3 cases but proba has 2"),
        ([], [], "non-empty"),
    ],
)
def test_bad_cases_are_errors(y: list, p: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        confusion_at(np.array(y), np.array(p), 0.5)
    with pytest.raises(ValueError, match=message):
        cost_curve(np.array(y), np.array(p), 1.0, 1.0)


@pytest.mark.parametrize(("cost_fn", "cost_fp"), [(0.0, 1.0), (1.0, -2.0), (float("inf"), 1.0)])
def test_costs_must_be_positive(cost_fn: float, cost_fp: float) -> None:
    with pytest.raises(ValueError, match="must be a finite number > 0"):
        expected_cost(Y, P, 0.5, cost_fn, cost_fp)
    with pytest.raises(ValueError, match="must be a finite number > 0"):
        bayes_threshold(cost_fn, cost_fp)


@pytest.mark.parametrize("threshold", [-0.1, 1.5, float("nan")])
def test_thresholds_must_lie_in_the_unit_interval(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold must be"):
        confusion_at(Y, P, threshold)
    with pytest.raises(ValueError, match="threshold must be"):
        cost_curve(Y, P, 1.0, 1.0, thresholds=[0.5, threshold])
