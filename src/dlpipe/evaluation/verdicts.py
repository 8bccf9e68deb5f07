"""Three outcomes for "is the model better than its baseline?", decided by a significance test.

A "beats" flag that is true at p = 0.48 misleads: a gap the test cannot tell from noise is
"no significant difference", whichever side it falls on.
"""

from __future__ import annotations

import math

ALPHA = 0.05
SIGNIFICANTLY_BETTER, NO_SIGNIFICANT_DIFFERENCE, SIGNIFICANTLY_WORSE = 1, 0, -1
WORDS = {
    SIGNIFICANTLY_BETTER: "significantly better",
    NO_SIGNIFICANT_DIFFERENCE: "no significant difference",
    SIGNIFICANTLY_WORSE: "significantly worse",
}


def verdict(p_value: float, model_ahead: bool, alpha: float = ALPHA) -> int:
    """1, 0 or -1: the model's side of the gap counts only when p < alpha (two-sided test).

    A NaN p-value (the two never differ) is no significant difference.
    """
    if not math.isfinite(p_value) or p_value >= alpha:
        return NO_SIGNIFICANT_DIFFERENCE
    return SIGNIFICANTLY_BETTER if model_ahead else SIGNIFICANTLY_WORSE


def verdict_words(code: int) -> str:
    return WORDS[code]
