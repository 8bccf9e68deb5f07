"""The course's reading of ROC AUC, in words for the comparison table.

0.5 is what random scores get, 1 a perfect ranking; below 0.5 the scores rank the classes the
wrong way round (flipping them would give 1 - AUC), which is a bug to look for, not a weak model.
"""

from __future__ import annotations

import math

PERFECT = "perfect"
BETTER_THAN_RANDOM = "better than random"
RANDOM = "random"
WORSE_THAN_RANDOM = "worse than random (the scores are inverted)"
# AUCs computed from counts land on 0.5 and 1 up to rounding only.
_TOLERANCE = 1e-12


def auc_band(auc: float) -> str:
    """The band an AUC falls in; the exact points 1 and 0.5 are matched within 1e-12."""
    if not math.isfinite(auc):
        raise ValueError(f"AUC must be a finite number, got {auc!r}")
    if auc < -_TOLERANCE or auc > 1.0 + _TOLERANCE:
        raise ValueError(f"AUC must lie in [0, 1], got {auc!r}")
    if abs(auc - 1.0) <= _TOLERANCE:
        return PERFECT
    if abs(auc - 0.5) <= _TOLERANCE:
        return RANDOM
    return BETTER_THAN_RANDOM if auc > 0.5 else WORSE_THAN_RANDOM
