"""Headline metrics: flat `split/metric` numbers, the baseline beside, at most 15 of them."""

from __future__ import annotations

import math

import pytest

from dlpipe.reporting.headline import MAX_VALUES, headline


def test_keys_are_flat_and_shared_across_families() -> None:
    values = headline(
        {"rmse": 0.88, "mae": 0.69},
        {"rmse": 0.92},
        {"rmse_ratio": 0.96, "p_value": 0.001, "verdict": 1},
        {"test_ratings": 10_000},
    )
    assert values == {
        "test/rmse": 0.88,
        "test/mae": 0.69,
        "baseline/rmse": 0.92,
        "rmse_ratio": 0.96,
        "p_value": 0.001,
        "verdict": 1,
        "data/test_ratings": 10_000,
    }


def test_text_flags_and_too_many_values_are_refused() -> None:
    with pytest.raises(TypeError, match="must be a number"):
        headline({"accuracy": 0.9}, {}, {"verdict": "better"}, {})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must be a number"):
        headline({"accuracy": 0.9}, {}, {"beats": True}, {})
    many = {f"m{i}": 0.5 for i in range(MAX_VALUES + 1)}
    with pytest.raises(ValueError, match="at most 15"):
        headline(many, {}, {}, {})


def test_non_finite_values_are_left_out() -> None:
    assert headline({"accuracy": 0.9}, {}, {"p_value": math.nan}, {}) == {"test/accuracy": 0.9}
