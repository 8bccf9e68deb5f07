"""DVC stage train_digit_classifier: the judge of generated images, and the real set's scores."""

from __future__ import annotations

import logging

import numpy as np

from dlpipe.datasets.mnist import load_splits
from dlpipe.evaluation.classification_tests import mcnemar_exact
from dlpipe.evaluation.verdicts import verdict
from dlpipe.families.generative import MNIST, REPORTS
from dlpipe.models.digit_classifier_io import save_digit_classifier
from dlpipe.models.image_scorer import ImageScorer
from dlpipe.reporting.generative_outputs import CLASSIFIER_OUTPUTS, write_classifier_outputs
from dlpipe.stage import Stage
from dlpipe.training.digit_classifier import train_digit_classifier

log = logging.getLogger(__name__)


def train_classifier(stage: Stage) -> None:
    """Train the CNN on the train split (checkpoint on val), test it, save it, and score the
    real test set with it: the Inception Score and Frechet distance generated images aim at."""
    params = stage.params
    splits = load_splits(stage.path(MNIST))
    folder = stage.out("models/digit_classifier")
    result = train_digit_classifier(
        splits, params.digit_classifier, params.training, params.seed, stage.run, folder / "ckpt"
    )
    save_digit_classifier(
        folder / "model.pt",
        result.network,
        {"test/accuracy": result.test_accuracy, "test/loss": result.test_loss},
    )
    scorer = ImageScorer(result.network, params.digit_classifier.score_batch)
    cfg = params.scores
    real = scorer.score(
        splits.test_x, scorer.feature_stats(splits.train_x), cfg.splits, cfg.min_share_factor
    )
    majority_class = int(np.bincount(splits.train_y).argmax())  # chosen on train, as a model is
    majority = float(np.mean(splits.test_y == majority_class))
    predicted = scorer.probabilities(splits.test_x).argmax(axis=1)
    test = mcnemar_exact(splits.test_y, predicted, np.full_like(splits.test_y, majority_class))
    log.info(
        "digit classifier: test accuracy %.4f; real test set IS %.3f, FID to train %.3f",
        result.test_accuracy,
        real.inception_score,
        real.frechet_distance,
    )
    stage.write_headline(
        f"{REPORTS}/classifier/metrics.json",
        {
            "test/accuracy": result.test_accuracy,
            "test/loss": result.test_loss,
            "baseline/accuracy": majority,
            "p_value": test.p_value,
            "verdict": verdict(test.p_value, test.only_a > test.only_b),
            "real/inception_score": real.inception_score,
            "real/frechet_distance": real.frechet_distance,
            "data/train": len(splits.train_y),
            "data/test": len(splits.test_y),
            "data/classes": scorer.n_classes,
        },
    )
    write_classifier_outputs(
        result.test_accuracy,
        majority,
        result.history,
        result.best_epoch,
        real,
        splits.class_names,
        {name: stage.out(f"{REPORTS}/classifier/{name}") for name in CLASSIFIER_OUTPUTS},
    )
