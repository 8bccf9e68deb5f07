"""The GAN: the Frechet distance of `scores.samples` generated images to the validation images,
in the feature space of the digit classifier that judges every generative model (lower is
better), through train_gan's own training function. The test images are never seen here; the
retrain's one test figure is the distance to the test images, as train_gan reports it.

A trial uses fewer images (`tuning.families.gan.fixed` sets `scores.samples`), so the same
figure is cheap enough to compute after every epoch: it is the pruner's per-epoch value too
(`FrechetPruning`). train_gan already trained the defaults at full settings on the same
splits: the retrain reads their figures from its details.json instead of training them again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import optuna
import torch

from dlpipe.config import Params
from dlpipe.datasets.mnist import MnistSplits, load_splits
from dlpipe.models.digit_classifier_io import load_digit_classifier
from dlpipe.models.image_scorer import FeatureStats, ImageScorer
from dlpipe.training.gan import train_gan
from dlpipe.training.trial_hooks import trial_callbacks
from dlpipe.tuning.objectives.base import Objective, RecordedDefaults, Scores

MNIST = "data/raw/mnist.npz"  # dlpipe.families.generative.MNIST
JUDGE = "models/digit_classifier"  # train_digit_classifier's folder
JUDGE_FILE = f"{JUDGE}/model.pt"  # dlpipe.families.generative.CLASSIFIER_FILE
DETAILS = "reports/generative/gan/details.json"  # train_gan's details


@dataclass(frozen=True, eq=False)
class JudgedSplits:
    """The images, the judge's scorer and the validation images' feature statistics."""

    splits: MnistSplits
    scorer: ImageScorer
    val_stats: FeatureStats


def load(params: Params, root: Path) -> JudgedSplits:
    splits = load_splits(root / MNIST)
    network, _ = load_digit_classifier(root / JUDGE_FILE)
    scorer = ImageScorer(network, params.digit_classifier.score_batch)
    return JudgedSplits(splits, scorer, scorer.feature_stats(splits.val_x))


class FrechetPruning(pl.Callback):
    """Reports each finished epoch's validation Frechet distance to the trial, and prunes.

    It measures at the start of the next epoch: the module's own epoch end (which runs after the
    callbacks' `on_train_epoch_end`) re-estimates the averaged generator's batch-norm statistics
    first. The last epoch is measured, and reported without pruning, by `score`.
    """

    def __init__(self, trial: optuna.Trial, measure: Callable[[Any], float]) -> None:
        self.trial = trial
        self.measure = measure

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        done = pl_module.current_epoch
        if done == 0:
            return
        value = self.measure(pl_module)
        if not math.isfinite(value):
            return
        self.trial.report(value, step=done - 1)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {done}")


def score(
    params: Params,
    data: JudgedSplits,
    trial: optuna.Trial | None,
    workdir: Path,
    with_test: bool,
) -> Scores:
    n, seed = params.scores.samples, params.seed

    def to_val(images: np.ndarray | torch.Tensor) -> float:
        return data.scorer.frechet_distance(images, data.val_stats)

    def measure(module: Any) -> float:
        return to_val(module.sample(n, torch.Generator().manual_seed(seed)))

    callbacks = [FrechetPruning(trial, measure)] if trial is not None else []
    with trial_callbacks(*callbacks):
        result = train_gan(data.splits, params.gan, params.training, seed, None, workdir)
    images = result.generate(n, seed)  # the images train_gan scores (same count and seed)
    val = to_val(images)
    if trial is not None and math.isfinite(val):
        trial.report(val, step=len(result.frames) - 1)
    if not with_test:
        return Scores(val=val)
    test_stats = data.scorer.feature_stats(data.splits.test_x)
    return Scores(val=val, test=data.scorer.frechet_distance(images, test_stats))


def recorded(params: Params, details: Mapping[str, Any]) -> Scores:
    """train_gan's figures of the defaults: its samples' distance to the validation and to the
    test images (the same count of samples as the retrain's, or the figures do not compare)."""
    try:
        validation = details["validation"]
        val, images = float(validation["val/frechet_distance"]), int(validation["images"])
        test = float(details["samples"]["frechet_distance"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"no validation or test Frechet distance ({exc})") from None
    if images != params.scores.samples:
        raise ValueError(
            f"its figures come from {images} samples, scores.samples is {params.scores.samples}"
        )
    return Scores(val=val, test=test)


OBJECTIVE = Objective(
    family="gan",
    metric="frechet_distance",
    direction="minimize",
    monitor=None,
    fidelity=lambda params, epochs: {"gan.max_epochs": epochs},
    reads=("seed", "mnist", "gan", "digit_classifier.score_batch", "scores"),
    data=(MNIST, JUDGE),
    load=load,
    score=score,
    recorded=RecordedDefaults(path=DETAILS, stage="train_gan", read=recorded),
)
