"""The written bias/variance diagnosis: which of the two problems the measured scores show.

The two call for opposite remedies (a bigger model vs more data or regularisation), so the
report says which one the numbers point to, with the numbers, instead of leaving a reader to
read it off a plot. Scores are higher-is-better (accuracy, ROC AUC).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

NEITHER, HIGH_BIAS, HIGH_VARIANCE, BOTH = 0, 1, 2, 3
LABELS = {
    NEITHER: "neither",
    HIGH_BIAS: "high bias",
    HIGH_VARIANCE: "high variance",
    BOTH: "high bias and high variance",
}
# Differences within this count as equal, so decimal inputs sit on the boundary as written
# (0.95 - 0.90 is 0.04999999999999993 in floating point, not 0.05).
_SLACK = 1e-12

_BIAS_ADVICE = "try a bigger model, more features or less regularisation"
_VARIANCE_ADVICE = "try more data, more regularisation (dropout, weight decay) or a smaller model"


@dataclass(frozen=True)
class Diagnosis:
    code: int  # 0 neither, 1 high bias, 2 high variance, 3 both
    label: str
    text: str  # one or two sentences with the measured numbers, the reason and what to try


def diagnose(
    train_score: float, val_score: float, target_score: float, max_gap: float
) -> Diagnosis:
    """High bias: the training score is below the target (the model cannot even fit the data it
    sees as well as the task needs). High variance: training exceeds validation by more than
    `max_gap` (it fits its own rows much better than new ones). Exactly at either threshold is
    not a problem."""
    for name, value in (
        ("train_score", train_score),
        ("val_score", val_score),
        ("target_score", target_score),
        ("max_gap", max_gap),
    ):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    if max_gap < 0:
        raise ValueError(f"max_gap must be >= 0, got {max_gap!r}")
    gap = train_score - val_score
    high_bias = train_score < target_score - _SLACK
    high_variance = gap > max_gap + _SLACK
    code = int(HIGH_BIAS * high_bias + HIGH_VARIANCE * high_variance)
    train, val, target = _num(train_score), _num(val_score), _num(target_score)
    side = "below" if gap >= 0 else "above"
    gap_words = f"{_num(abs(gap))} {side} the training score {train} (allowed gap {_num(max_gap)})"
    if code == NEITHER:
        text = (
            f"The training score {train} reaches the target {target} and the validation score "
            f"{val} is {gap_words}: neither high bias nor high variance."
        )
    elif code == HIGH_BIAS:
        text = (
            f"High bias: the training score {train} is below the target {target}, so the model "
            f"cannot even fit its training data well enough, while validation ({val}) is "
            f"{gap_words}; {_BIAS_ADVICE}."
        )
    elif code == HIGH_VARIANCE:
        text = (
            f"High variance: the training score {train} reaches the target {target} but the "
            f"validation score {val} is {gap_words}, so the model fits its own rows far better "
            f"than new ones; {_VARIANCE_ADVICE}."
        )
    else:
        text = (
            f"High bias and high variance: the training score {train} is below the target "
            f"{target} and the validation score {val} is {gap_words}. First {_BIAS_ADVICE}; "
            f"then, to close the gap, {_VARIANCE_ADVICE}."
        )
    return Diagnosis(code, LABELS[code], text)


def learning_curve_trend(
    sizes: Sequence[float], val_scores: Sequence[float], tolerance: float = 0.005
) -> str:
    """One sentence on whether more data still helps, from the validation gain between the last
    two training sizes: a gain above `tolerance` means the curve is still rising."""
    if len(sizes) != len(val_scores):
        raise ValueError(f"{len(sizes)} sizes but {len(val_scores)} validation scores")
    if len(sizes) < 2:
        raise ValueError(f"need at least 2 points on the learning curve, got {len(sizes)}")
    if not all(math.isfinite(v) for v in [*sizes, *val_scores, tolerance]):
        raise ValueError("sizes, validation scores and tolerance must be finite")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    if any(later <= earlier for earlier, later in pairwise(sizes)):
        raise ValueError(f"sizes must be strictly increasing, got {list(sizes)}")
    gain = val_scores[-1] - val_scores[-2]
    step = f"from {sizes[-2]:g} to {sizes[-1]:g} training rows"
    if gain > tolerance + _SLACK:
        return (
            f"The validation score still rises by {_num(gain)} {step} (more than "
            f"{_num(tolerance)}), so more data should still help."
        )
    if gain < -tolerance - _SLACK:
        return (
            f"The validation score falls by {_num(-gain)} {step} (more than {_num(tolerance)}), "
            f"so more data is not helping at this size; the last points look noisy."
        )
    return (
        f"The validation score changes by {_num(gain)} {step} (within {_num(tolerance)}): the "
        f"curve has flattened, so more data alone will not help much."
    )


def _num(value: float) -> str:
    return f"{value:.4g}"
