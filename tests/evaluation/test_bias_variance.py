from __future__ import annotations

import pytest

from dlpipe.evaluation.bias_variance import diagnose, learning_curve_trend


def test_neither() -> None:
    result = diagnose(train_score=0.99, val_score=0.97, target_score=0.95, max_gap=0.05)
    assert (result.code, result.label) == (0, "neither")
    assert "0.99" in result.text and "0.97" in result.text and "0.95" in result.text


def test_high_bias_says_to_grow_the_model() -> None:
    result = diagnose(train_score=0.90, val_score=0.88, target_score=0.95, max_gap=0.05)
    assert (result.code, result.label) == (1, "high bias")
    assert "0.9 is below the target 0.95" in result.text
    assert "bigger model" in result.text and "less regularisation" in result.text


def test_high_variance_says_more_data_or_regularisation() -> None:
    result = diagnose(train_score=0.99, val_score=0.88, target_score=0.95, max_gap=0.05)
    assert (result.code, result.label) == (2, "high variance")
    assert "0.11 below the training score 0.99" in result.text
    assert "more data" in result.text and "dropout" in result.text
    assert "bigger model" not in result.text


def test_both() -> None:
    result = diagnose(train_score=0.90, val_score=0.80, target_score=0.95, max_gap=0.05)
    assert (result.code, result.label) == (3, "high bias and high variance")
    assert "bigger model" in result.text and "more data" in result.text


def test_exactly_at_the_thresholds_is_no_problem() -> None:
    # train == target is not high bias; a gap equal to max_gap is not high variance
    assert diagnose(0.75, 0.5, 0.75, 0.25).code == 0
    # decimal inputs too: 0.95 - 0.90 is 0.04999999999999993 in floating point
    assert diagnose(0.95, 0.90, 0.95, 0.05).code == 0
    # one step past either boundary flips it
    assert diagnose(0.75 - 1e-9, 0.5, 0.75, 0.25).code == 1
    assert diagnose(0.75, 0.5 - 1e-9, 0.75, 0.25).code == 2


def test_validation_above_training_reads_sensibly() -> None:
    result = diagnose(0.96, 0.97, 0.95, 0.05)
    assert result.code == 0
    assert "0.01 above the training score" in result.text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((float("nan"), 0.9, 0.9, 0.05), "train_score"),
        ((0.9, 0.9, 0.9, -0.01), "max_gap"),
        ((0.9, float("inf"), 0.9, 0.05), "val_score"),
    ],
)
def test_bad_diagnose_inputs(args: tuple[float, float, float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        diagnose(*args)


def test_learning_curve_still_rising_flat_and_falling() -> None:
    rising = learning_curve_trend([100, 200, 400], [0.80, 0.85, 0.90], tolerance=0.01)
    assert "still rises by 0.05 from 200 to 400" in rising and "should still help" in rising
    flat = learning_curve_trend([100, 200, 400], [0.80, 0.90, 0.902], tolerance=0.01)
    assert "flattened" in flat and "0.002" in flat
    falling = learning_curve_trend([100, 200, 400], [0.80, 0.90, 0.85], tolerance=0.01)
    assert "falls by 0.05" in falling and "not helping" in falling


def test_learning_curve_gain_exactly_at_tolerance_is_flat() -> None:
    assert "flattened" in learning_curve_trend([1, 2], [0.5, 0.625], tolerance=0.125)
    assert "flattened" in learning_curve_trend([1, 2], [0.85, 0.90], tolerance=0.05)
    assert "still rises" in learning_curve_trend([1, 2], [0.5, 0.625 + 1e-9], tolerance=0.125)
    assert "falls" in learning_curve_trend([1, 2], [0.625, 0.5 - 1e-9], tolerance=0.125)


@pytest.mark.parametrize(
    ("sizes", "scores", "message"),
    [
        ([1, 2, 3], [0.5, 0.6], "3 sizes but 2"),
        ([1], [0.5], "at least 2"),
        ([2, 2], [0.5, 0.6], "strictly increasing"),
        ([1, 2], [0.5, float("nan")], "finite"),
    ],
)
def test_bad_learning_curves(sizes: list, scores: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        learning_curve_trend(sizes, scores)
