"""The unknown-face distances and threshold rule on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest

from dlpipe.evaluation.face_unknown import (
    accepted,
    nearest_distances,
    rate,
    unit_rows,
    unknown_threshold,
)


def test_unit_rows_have_length_one_and_keep_a_zero_row() -> None:
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert rows.tolist() == [[0.6, 0.8], [0.0, 0.0]]


def test_distance_is_to_the_nearest_training_face_of_the_named_person() -> None:
    train = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 3.0]])
    labels = np.array([0, 0, 1])
    query = np.array([[9.0, 0.0], [9.0, 0.0], [0.0, 0.0]])
    got = nearest_distances(query, train, labels, [0, 1, 2])
    assert got[0] == pytest.approx(1.0)  # person 0's nearer face is (10, 0)
    assert got[1] == pytest.approx(np.hypot(9.0, 3.0))  # person 1 has only (0, 3)
    assert got[2] == np.inf  # no training face of person 2


def test_threshold_is_the_quantile_of_known_distances_capped() -> None:
    known = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert unknown_threshold(known, 0.5, 0.6) == pytest.approx(0.3)
    assert unknown_threshold(known, 1.0, 0.6) == pytest.approx(0.5)
    assert unknown_threshold(known, 1.0, 0.45) == pytest.approx(0.45)  # the cap
    assert unknown_threshold(np.array([np.inf]), 0.9, 0.6) == pytest.approx(0.6)  # nothing known


def test_accepted_at_or_below_the_threshold_and_rates() -> None:
    flags = accepted(np.array([0.2, 0.5, 0.51, np.inf]), 0.5)
    assert flags.tolist() == [True, True, False, False]
    assert rate(flags) == 0.5 and rate(np.array([], bool)) == 0.0
