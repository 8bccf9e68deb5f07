from __future__ import annotations

import numpy as np
import pytest

from dlpipe.evaluation.classification_tests import mcnemar_exact


def test_counts_only_disagreements_and_matches_the_binomial_by_hand() -> None:
    truth = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    a = np.array([0, 1, 2, 0, 1, 2, 0, 0])  # 7 right
    b = np.array([0, 0, 0, 0, 1, 0, 1, 1])  # 3 right; A alone right on 4, B alone on 1
    result = mcnemar_exact(truth, a, b)
    assert (result.only_a, result.only_b) == (4, 1)
    # Two-sided exact: 2 * P(X <= 1), X ~ Bin(5, 1/2) = 2 * 6/32
    assert result.p_value == pytest.approx(12 / 32)


def test_identical_predictions_give_p_one_and_a_clear_gap_a_small_p() -> None:
    truth = np.arange(40) % 4
    assert mcnemar_exact(truth, truth, truth).p_value == 1.0
    wrong = (truth + 1) % 4
    assert mcnemar_exact(truth, truth, wrong).p_value < 1e-6


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        mcnemar_exact(np.zeros(3), np.zeros(3), np.zeros(4))
