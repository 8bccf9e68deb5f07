from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ttest_rel

from dlpipe.evaluation.resampled_t_test import corrected_resampled_t_test

# Five splits; differences a - b = [0.01, 0.03, 0.02, 0.04, 0.00].
SCORES_A = np.array([0.81, 0.83, 0.82, 0.84, 0.80])
SCORES_B = np.array([0.80, 0.80, 0.80, 0.80, 0.80])


def test_matches_the_hand_computation() -> None:
    # mean d = 0.02; s^2 = (1 + 1 + 0 + 4 + 4) e-4 / 4 = 2.5e-4 (ddof=1)
    # n_test / n_train = 10 / 90 = 1/9; factor 1/5 + 1/9 = 14/45
    # t^2 = 0.02^2 / (14/45 * 2.5e-4) = 36/7, so t = 6 / sqrt(7) ~ 2.268, df = 4
    # Student t with 4 df in closed form: F(t) = 1/2 + 3/8 * u * (1 - u^2 / 12) with
    # u = t / sqrt(1 + t^2 / 4); here 1 + t^2 / 4 = 16/7, so u = 3/2 and u^2 / 12 = 3/16:
    # F(t) = 1/2 + 3/8 * 3/2 * 13/16 = 1/2 + 117/256, two-sided p = 1 - 234/256 = 11/128.
    result = corrected_resampled_t_test(SCORES_A, SCORES_B, n_train=90, n_test=10)
    assert result.mean_difference == pytest.approx(0.02)
    assert result.t == pytest.approx(6 / math.sqrt(7))
    assert result.df == 4
    assert result.p_value == pytest.approx(11 / 128)


def test_is_more_conservative_than_the_naive_paired_t_test() -> None:
    # Naive: t = 0.02 / sqrt(2.5e-4 / 5) = 2 sqrt(2), p ~ 0.047 -- "significant" at 0.05;
    # the corrected test (p = 11/128 ~ 0.086) is not.
    naive = ttest_rel(SCORES_A, SCORES_B)
    corrected = corrected_resampled_t_test(SCORES_A, SCORES_B, n_train=90, n_test=10)
    assert naive.statistic == pytest.approx(2 * math.sqrt(2))
    assert naive.pvalue < 0.05 < corrected.p_value
    assert abs(corrected.t) < abs(naive.statistic)


def test_swapping_the_models_flips_the_sign_only() -> None:
    ab = corrected_resampled_t_test(SCORES_A, SCORES_B, n_train=90, n_test=10)
    ba = corrected_resampled_t_test(SCORES_B, SCORES_A, n_train=90, n_test=10)
    assert ba.mean_difference == pytest.approx(-ab.mean_difference)
    assert ba.t == pytest.approx(-ab.t)
    assert ba.p_value == pytest.approx(ab.p_value)


def test_identical_differences_give_p_one_or_zero() -> None:
    same = corrected_resampled_t_test([0.9, 0.8, 0.7], [0.9, 0.8, 0.7], n_train=9, n_test=1)
    assert (same.mean_difference, same.t, same.p_value, same.df) == (0.0, 0.0, 1.0, 2)
    # b always 0.25 behind a (exact in binary, so every difference is exactly 0.25)
    ahead = corrected_resampled_t_test([1.0, 0.75, 0.5], [0.75, 0.5, 0.25], n_train=9, n_test=1)
    assert (ahead.t, ahead.p_value) == (math.inf, 0.0)
    behind = corrected_resampled_t_test([0.75, 0.5, 0.25], [1.0, 0.75, 0.5], n_train=9, n_test=1)
    assert (behind.t, behind.p_value) == (-math.inf, 0.0)


@pytest.mark.parametrize(
    ("a", "b", "n_train", "n_test", "message"),
    [
        ([0.1, 0.2], [0.1], 9, 1, "splits"),
        ([0.1], [0.2], 9, 1, "at least 2"),
        ([0.1, float("nan")], [0.1, 0.2], 9, 1, "NaN"),
        ([0.1, 0.2], [0.1, float("inf")], 9, 1, "NaN or infinite"),
        ([[0.1, 0.2]], [[0.1, 0.2]], 9, 1, "1-D"),
        ([0.1, 0.2], [0.3, 0.4], 0, 1, "n_train"),
        ([0.1, 0.2], [0.3, 0.4], 9, 0, "n_test"),
        ([0.1, 0.2], [0.3, 0.4], 9.5, 1, "n_train"),
    ],
)
def test_bad_inputs_are_errors(a: list, b: list, n_train: int, n_test: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        corrected_resampled_t_test(np.array(a), np.array(b), n_train=n_train, n_test=n_test)
