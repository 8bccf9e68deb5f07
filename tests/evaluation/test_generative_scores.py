"""The scores for generated images on cases whose answers are known by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from dlpipe.evaluation.generative_scores import (
    GeneratedScores,
    class_histogram,
    feature_statistics,
    frechet_distance,
    inception_score,
    mode_coverage,
)


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


# --- Inception Score --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 4, 10])
@pytest.mark.parametrize("splits", [1, 5, 10])
def test_a_perfect_classifier_on_a_balanced_set_scores_the_number_of_classes(k, splits) -> None:
    probabilities = _one_hot(np.arange(10 * k) % k, k)  # every split holds each class equally
    mean, std = inception_score(probabilities, splits)
    assert mean == pytest.approx(k, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_one_class_only_scores_one() -> None:
    mean, std = inception_score(_one_hot(np.zeros(50, dtype=int), 10), splits=5)
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0)


def test_undecided_rows_score_one() -> None:
    mean, _ = inception_score(np.full((40, 10), 0.1), splits=4)
    assert mean == pytest.approx(1.0)


def test_a_hand_computed_pair() -> None:
    # p(y) = (0.75, 0.25); KL of [1, 0] = ln(4/3); KL of [.5, .5] = .5 ln(2/3) + .5 ln 2
    # = .5 ln(4/3); the mean KL is .75 ln(4/3), so the score is (4/3) ** 0.75.
    mean, _ = inception_score(np.array([[1.0, 0.0], [0.5, 0.5]]), splits=1)
    assert mean == pytest.approx((4 / 3) ** 0.75, rel=1e-12)


def test_std_is_over_the_splits() -> None:
    balanced = _one_hot(np.arange(20) % 4, 4)  # first split: score 4
    collapsed = _one_hot(np.zeros(20, dtype=int), 4)  # second split: score 1
    mean, std = inception_score(np.vstack([balanced, collapsed]), splits=2)
    assert mean == pytest.approx(2.5) and std == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("probabilities", "splits"),
    [
        (np.full((5, 2), 0.5), 6),  # more splits than rows
        (np.full((5, 2), 0.5), 0),
        (np.full((5, 2), 0.4), 1),  # rows do not sum to 1
        (np.array([[1.5, -0.5]]), 1),
        (np.ones((5, 1)), 1),  # one class
    ],
)
def test_bad_inputs_are_refused(probabilities, splits) -> None:
    with pytest.raises(ValueError):
        inception_score(probabilities, splits)


# --- Frechet distance -------------------------------------------------------------------------


def test_identical_statistics_are_at_distance_zero() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    cov = a @ a.T + np.eye(6)
    assert frechet_distance(np.ones(6), cov, np.ones(6), cov) == pytest.approx(0.0, abs=1e-9)


def test_two_one_dimensional_gaussians() -> None:
    # N(1, 2^2) vs N(3, 3^2): (1 - 3)^2 + (2 - 3)^2 = 5
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(5.0)


def test_diagonal_covariances_by_hand() -> None:
    # means: 1 + 4; covariances: (sqrt 1 - sqrt 9)^2 + (sqrt 4 - sqrt 1)^2 = 4 + 1
    value = frechet_distance(
        np.zeros(2), np.diag([1.0, 4.0]), np.array([1.0, 2.0]), np.diag([9.0, 1.0])
    )
    assert value == pytest.approx(10.0)


def test_a_rotation_changes_nothing() -> None:
    angle = 0.3
    r = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    c1, c2 = r @ np.diag([1.0, 4.0]) @ r.T, r @ np.diag([9.0, 1.0]) @ r.T
    value = frechet_distance(np.zeros(2), c1, r @ np.array([1.0, 2.0]), c2)
    assert value == pytest.approx(10.0)


def test_singular_covariances_give_a_finite_distance_without_warnings() -> None:
    rng = np.random.default_rng(1)
    mu, cov = feature_statistics(rng.normal(size=(3, 8)))  # rank 2 in 8 dimensions
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = frechet_distance(mu, cov, mu, cov)
        shifted = frechet_distance(mu, cov, mu + 1.0, cov)
    assert same == pytest.approx(0.0, abs=1e-3)
    assert shifted == pytest.approx(8.0, abs=1e-3)


def test_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="shapes do not match"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_feature_statistics_by_hand() -> None:
    mean, cov = feature_statistics(np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]))
    np.testing.assert_allclose(mean, [1.0, 1.0])
    np.testing.assert_allclose(cov, np.diag([4 / 3, 4 / 3]), atol=1e-12)  # unbiased: 4 / (4 - 1)
    with pytest.raises(ValueError):
        feature_statistics(np.zeros((1, 3)))


# --- histogram and coverage -------------------------------------------------------------------


def test_histogram_of_labels_and_of_probabilities() -> None:
    labels = np.array([0, 0, 1, 3])
    np.testing.assert_allclose(class_histogram(labels, 4), [0.5, 0.25, 0.0, 0.25])
    probabilities = np.array(
        [[0.9, 0.1, 0, 0], [0.6, 0.4, 0, 0], [0.2, 0.7, 0.1, 0], [0, 0, 0.4, 0.6]]
    )
    np.testing.assert_allclose(class_histogram(probabilities, 4), [0.5, 0.25, 0.0, 0.25])


def test_histogram_refuses_labels_outside_the_classes() -> None:
    with pytest.raises(ValueError, match=r"0\.\.3"):
        class_histogram(np.array([0, 4]), 4)


def test_coverage_keeps_classes_with_at_least_the_minimum_share() -> None:
    histogram = np.array([0.5, 0.25, 0.0, 0.125, 0.125])
    assert mode_coverage(histogram, 0.125) == (0, 1, 3, 4)
    assert mode_coverage(histogram, 0.3) == (0,)


def test_generated_scores_counts_covered_classes() -> None:
    scores = GeneratedScores(9.5, 0.1, 3.0, (0.5, 0.5, 0.0), (0, 1), 40)
    assert scores.n_covered == 2
