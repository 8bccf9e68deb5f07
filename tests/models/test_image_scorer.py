"""The image scorer: its inputs, its batching, and that `score` combines the pure functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlpipe.evaluation.generative_scores import (
    class_histogram,
    frechet_distance,
    inception_score,
    mode_coverage,
)
from dlpipe.models.components.digit_cnn import DigitCNN
from dlpipe.models.image_scorer import FeatureStats, ImageScorer


@pytest.fixture
def scorer() -> ImageScorer:
    torch.manual_seed(0)
    return ImageScorer(DigitCNN(10, (4, 8), 16, 0.5), batch_size=7)


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(40, 28, 28), dtype=np.uint8)


def test_uint8_and_float_layouts_agree(scorer, images) -> None:
    from_bytes = scorer.probabilities(images)
    floats = torch.from_numpy(images).float().reshape(40, 784) / 255
    np.testing.assert_allclose(scorer.probabilities(floats), from_bytes, atol=1e-6)
    assert from_bytes.shape == (40, 10)
    np.testing.assert_allclose(from_bytes.sum(axis=1), 1.0, atol=1e-6)


def test_batching_changes_nothing(scorer, images) -> None:
    whole = ImageScorer(scorer.network, batch_size=1000)
    np.testing.assert_allclose(scorer.features(images), whole.features(images), atol=1e-5)
    assert scorer.features(images).shape == (40, 16)


def test_dropout_is_off_when_scoring(scorer, images) -> None:
    scorer.network.train()  # a caller's mistake the scorer must not inherit
    first = scorer.probabilities(images)
    np.testing.assert_array_equal(first, scorer.probabilities(images))


def test_score_combines_the_pure_functions(scorer, images) -> None:
    reference = FeatureStats.of(scorer.features(images[:20]))
    scores = scorer.score(images, reference, splits=4, min_share_factor=0.5)
    probabilities = scorer.probabilities(images)
    assert (scores.inception_score, scores.inception_std) == pytest.approx(
        inception_score(probabilities, 4)
    )
    own = scorer.feature_stats(images)
    expected = frechet_distance(own.mean, own.covariance, reference.mean, reference.covariance)
    assert scores.frechet_distance == pytest.approx(expected)
    histogram = class_histogram(probabilities, 10)
    assert scores.histogram == pytest.approx(tuple(histogram))
    assert scores.covered == mode_coverage(histogram, 0.05)


def test_a_set_against_its_own_statistics(scorer, images) -> None:
    assert scorer.score(images, scorer.feature_stats(images), 4).frechet_distance == pytest.approx(
        0.0, abs=1e-6
    )
    assert math.isnan(scorer.score(images, None, 4).frechet_distance)


def test_bad_inputs_are_refused(scorer) -> None:
    with pytest.raises(ValueError, match="no images"):
        scorer.features(np.zeros((0, 784), dtype=np.float32))
    with pytest.raises(ValueError, match="uint8 or floats"):
        scorer.features(np.zeros((2, 784), dtype=np.int64))
