"""Three outcomes, never a "beats" flag that a p-value of 0.48 would contradict."""

from __future__ import annotations

import math

import pytest

from dlpipe.evaluation.verdicts import (
    NO_SIGNIFICANT_DIFFERENCE,
    SIGNIFICANTLY_BETTER,
    SIGNIFICANTLY_WORSE,
    verdict,
    verdict_words,
)


@pytest.mark.parametrize(
    ("p_value", "ahead", "expected"),
    [
        (0.01, True, SIGNIFICANTLY_BETTER),
        (0.01, False, SIGNIFICANTLY_WORSE),
        (0.48, True, NO_SIGNIFICANT_DIFFERENCE),
        (0.05, True, NO_SIGNIFICANT_DIFFERENCE),
        (0.0499, False, SIGNIFICANTLY_WORSE),
        (math.nan, True, NO_SIGNIFICANT_DIFFERENCE),
    ],
)
def test_the_side_counts_only_below_alpha(p_value: float, ahead: bool, expected: int) -> None:
    assert verdict(p_value, ahead) == expected


def test_words() -> None:
    assert verdict_words(SIGNIFICANTLY_BETTER) == "significantly better"
    assert verdict_words(NO_SIGNIFICANT_DIFFERENCE) == "no significant difference"
    assert verdict_words(SIGNIFICANTLY_WORSE) == "significantly worse"
