"""Classification metrics against values worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dlpipe.evaluation.classification_metrics import classification_report_dict

Y_TRUE = np.array([0, 0, 1, 1, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 0, 0])  # class 2 is never predicted


def test_matches_hand_computed_values() -> None:
    report = classification_report_dict(Y_TRUE, Y_PRED, ("a", "b", "c"))
    assert report["accuracy"] == pytest.approx(3 / 6)
    # a: P 1/3, R 1/2, F1 0.4; b: P 2/3, R 1, F1 0.8; c: never predicted, all 0.
    assert report["per_class"]["a"] == pytest.approx(
        {"precision": 1 / 3, "recall": 0.5, "f1": 0.4, "support": 2}
    )
    assert report["per_class"]["b"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert report["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert report["macro_f1"] == pytest.approx((0.4 + 0.8 + 0.0) / 3)
    assert report["weighted_f1"] == pytest.approx((2 * 0.4 + 2 * 0.8 + 2 * 0.0) / 6)
    assert report["confusion"] == [[1, 1, 0], [0, 2, 0], [2, 0, 0]]
    json.dumps(report)  # plain Python values only


def test_a_class_absent_everywhere_keeps_its_row_but_not_its_macro_share() -> None:
    report = classification_report_dict(Y_TRUE, Y_PRED, ("a", "b", "c", "d"))
    assert report["per_class"]["d"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["macro_f1"] == pytest.approx(0.4)
    assert np.array(report["confusion"]).shape == (4, 4)
    assert report["confusion"][3] == [0, 0, 0, 0]


def test_perfect_predictions() -> None:
    report = classification_report_dict(Y_TRUE, Y_TRUE, ("a", "b", "c"))
    assert report["accuracy"] == report["macro_f1"] == report["weighted_f1"] == 1.0
    assert report["confusion"] == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]


@pytest.mark.parametrize(
    ("y_true", "y_pred", "match"),
    [([0, 1], [0], "equal"), ([], [], "no predictions"), ([0, 3], [0, 1], r"\[3\]")],
)
def test_bad_inputs_are_refused(y_true, y_pred, match) -> None:
    with pytest.raises(ValueError, match=match):
        classification_report_dict(np.array(y_true), np.array(y_pred), ("a", "b", "c"))
