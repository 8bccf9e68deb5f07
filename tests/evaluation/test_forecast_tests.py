"""Diebold-Mariano on cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlpipe.evaluation.forecast_tests import diebold_mariano


def test_hand_computed_statistic() -> None:
    actual = np.array([0.0, 0.0, 0.0, 0.0])
    first = np.array([1.0, 1.0, 1.0, 2.0])  # squared errors 1, 1, 1, 4
    second = np.array([2.0, 2.0, 2.0, 2.0])  # squared errors 4, 4, 4, 4
    # d = -3, -3, -3, 0: mean -2.25, sample std 1.5, n 4 -> DM = -2.25 / 0.75 = -3
    statistic, p = diebold_mariano(actual, first, second)
    assert statistic == pytest.approx(-3.0)
    assert p == pytest.approx(0.0026998, abs=1e-6)


def test_identical_forecasts_have_nothing_to_test() -> None:
    x = np.array([1.0, 2.0, 3.0])
    assert all(math.isnan(v) for v in diebold_mariano(x, x + 1, x + 1))


def test_symmetry_and_shape_checks() -> None:
    rng = np.random.default_rng(0)
    actual, a, b = rng.normal(size=(3, 50))
    s_ab, p_ab = diebold_mariano(actual, a, b)
    s_ba, p_ba = diebold_mariano(actual, b, a)
    assert s_ab == pytest.approx(-s_ba) and p_ab == pytest.approx(p_ba)
    with pytest.raises(ValueError, match="same length"):
        diebold_mariano(actual, a[:10], b)
