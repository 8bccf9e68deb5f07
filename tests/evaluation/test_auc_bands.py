from __future__ import annotations

import pytest

from dlpipe.evaluation.auc_bands import auc_band


@pytest.mark.parametrize(
    ("auc", "band"),
    [
        (1.0, "perfect"),
        (1.0 - 1e-13, "perfect"),  # rounding off 1 is still 1
        (0.9955, "better than random"),
        (1.0 - 1e-9, "better than random"),
        (0.5 + 1e-9, "better than random"),
        (0.5, "random"),
        (0.1 + 0.2 + 0.2, "random"),  # 0.5000000000000001
        (0.5 - 1e-9, "worse than random (the scores are inverted)"),
        (0.0, "worse than random (the scores are inverted)"),
    ],
)
def test_bands(auc: float, band: str) -> None:
    assert auc_band(auc) == band


@pytest.mark.parametrize("auc", [float("nan"), float("inf"), 1.01, -0.2])
def test_impossible_aucs_are_errors(auc: float) -> None:
    with pytest.raises(ValueError, match="AUC must"):
        auc_band(auc)
