"""What the VAE and GAN stages share: the trained digit classifier as the judge of their images,
and the real test set scored the same way (the reference line every generated score sits by)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlpipe.config import Params
from dlpipe.datasets.mnist import MnistSplits
from dlpipe.evaluation.generative_scores import GeneratedScores
from dlpipe.models.digit_classifier_io import load_digit_classifier
from dlpipe.models.image_scorer import FeatureStats, ImageScorer


@dataclass(frozen=True, eq=False)
class Judge:
    """The classifier's scorer, the real test set's feature statistics and its own scores."""

    scorer: ImageScorer
    reference: FeatureStats
    real: GeneratedScores
    accuracy: float
    params: Params
    class_names: tuple[str, ...]

    def score(self, images: np.ndarray) -> GeneratedScores:
        scores = self.params.scores
        return self.scorer.score(images, self.reference, scores.splits, scores.min_share_factor)


def load_judge(path: Path, splits: MnistSplits, params: Params) -> Judge:
    """The classifier in `path`; the real test images scored against the training images'
    features (the Frechet distance a perfect generator would reach, up to sampling)."""
    network, metrics = load_digit_classifier(path)
    scorer = ImageScorer(network, params.digit_classifier.score_batch)
    reference = scorer.feature_stats(splits.test_x)
    train_stats = scorer.feature_stats(splits.train_x)
    scores = params.scores
    real = scorer.score(splits.test_x, train_stats, scores.splits, scores.min_share_factor)
    if scorer.n_classes != splits.n_classes:
        raise ValueError(
            f"{path} judges {scorer.n_classes} classes but the data has {splits.n_classes} "
            f"({', '.join(splits.class_names)}). To fix: rerun `dvc repro train_digit_classifier`"
        )
    accuracy = float(metrics.get("test/accuracy", np.nan))
    return Judge(scorer, reference, real, accuracy, params, splits.class_names)


def score_headline(model: GeneratedScores, real: GeneratedScores) -> dict[str, float]:
    """Generated images (`samples/`) against the real test set (`real/`), same judge."""
    values: dict[str, float] = {}
    for prefix, scores in (("samples", model), ("real", real)):
        values[f"{prefix}/inception_score"] = scores.inception_score
        values[f"{prefix}/frechet_distance"] = scores.frechet_distance
        values[f"{prefix}/classes_covered"] = scores.n_covered
    return values
