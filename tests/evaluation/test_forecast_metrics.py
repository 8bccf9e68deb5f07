"""Price metrics on hand-computed cases, direction-accuracy edge cases, walk-forward splits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlpipe.evaluation.errors import mae, rmse
from dlpipe.evaluation.forecast_metrics import (
    METRICS,
    direction_accuracy,
    mape,
    metric_table,
    walk_forward_splits,
)

ACTUAL = np.array([100.0, 200.0, 50.0, 80.0])
PREDICTED = np.array([110.0, 190.0, 50.0, 100.0])  # errors 10, -10, 0, 20


def test_rmse_mae_mape_by_hand() -> None:
    assert rmse(ACTUAL, PREDICTED) == pytest.approx(math.sqrt((100 + 100 + 0 + 400) / 4))
    assert mae(ACTUAL, PREDICTED) == pytest.approx((10 + 10 + 0 + 20) / 4)
    assert mape(ACTUAL, PREDICTED) == pytest.approx(100 * (0.1 + 0.05 + 0 + 0.25) / 4)  # 10 %


def test_metrics_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="shapes"):
        rmse(ACTUAL, PREDICTED[:3])
    with pytest.raises(ValueError, match="NaN"):
        mae(ACTUAL, np.array([1.0, np.nan, 1.0, 1.0]))
    with pytest.raises(ValueError, match="non-empty"):
        rmse(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="0"):
        mape(np.array([0.0, 1.0]), np.array([1.0, 1.0]))


def test_direction_accuracy_by_hand() -> None:
    reference = np.array([10.0, 10.0, 10.0, 10.0, 10.0])
    actual = np.array([11.0, 9.0, 12.0, 10.0, 8.0])  # up, down, up, flat (skipped), down
    predicted = np.array([12.0, 9.5, 9.0, 15.0, 10.0])  # right, right, wrong, -, no change
    # scored days: 0, 1, 2, 4; right on 0 and 1; the zero-change call on day 4 is wrong
    assert direction_accuracy(reference, actual, predicted) == pytest.approx(2 / 4)


def test_direction_accuracy_edge_cases() -> None:
    reference = np.array([10.0, 10.0, 10.0])
    actual = np.array([11.0, 9.0, 10.0])
    assert math.isnan(direction_accuracy(reference, actual, reference))  # persistence
    assert math.isnan(direction_accuracy(reference, reference, actual))  # nothing moved
    assert direction_accuracy(reference, actual, actual) == 1.0
    assert direction_accuracy(reference, actual, 2 * reference - actual) == 0.0


def test_metric_table_compares_with_persistence() -> None:
    reference = np.array([100.0, 100.0, 100.0, 100.0])
    actual = np.array([104.0, 97.0, 102.0, 103.0])  # persistence errors 4, -3, 2, 3
    model = np.array([102.0, 99.0, 101.0, 100.0])  # errors -2, 2, -1, -3
    table = metric_table(actual, reference, {"persistence": reference, "lstm": model})
    assert set(table) == {"persistence", "lstm"}
    assert set(table["lstm"]) == set(METRICS)
    assert table["persistence"]["rmse"] == pytest.approx(math.sqrt(38 / 4))
    assert table["lstm"]["rmse"] == pytest.approx(math.sqrt(18 / 4))
    assert table["lstm"]["rmse_ratio_to_persistence"] == pytest.approx(math.sqrt(18 / 38))
    assert table["persistence"]["rmse_ratio_to_persistence"] == 1.0
    assert math.isnan(table["persistence"]["direction_accuracy"])
    assert table["lstm"]["direction_accuracy"] == pytest.approx(3 / 4)  # day 3: no change, wrong
    with pytest.raises(ValueError, match="persistence"):
        metric_table(actual, reference, {"lstm": model})


def test_walk_forward_splits_expand() -> None:
    splits = walk_forward_splits(10, 4, 3)  # test days 4..9 in blocks of 2
    assert [list(test) for _, test in splits] == [[4, 5], [6, 7], [8, 9]]
    assert [len(train) for train, _ in splits] == [4, 6, 8]
    for train, test in splits:
        np.testing.assert_array_equal(train, np.arange(test[0]))
    uneven = walk_forward_splits(9, 2, 3)  # 7 test samples: 3, 2, 2
    assert [len(test) for _, test in uneven] == [3, 2, 2]
    with pytest.raises(ValueError):
        walk_forward_splits(10, 0, 2)
    with pytest.raises(ValueError):
        walk_forward_splits(10, 8, 3)
