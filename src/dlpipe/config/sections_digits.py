"""params.yaml sections of the generative chapter's judge: the digit classifier and its scores.

The classifier only has to be good enough that its probabilities and features are a fair
yardstick for generated images (the issue asks >= 98.5% test accuracy on MNIST); the scores'
settings are kept apart so a VAE or GAN stage can read them without the classifier's.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from dlpipe.config.base import Count, Count0, Fraction, Positive, Probability, Section


class DigitClassifierConfig(Section):
    """`dlpipe.models.components.digit_cnn.DigitCNN` trained with Adam on the train split,
    checkpointed (and early-stopped after `patience` epochs without a better val loss; 0 = never)
    on the val split."""

    channels: Annotated[tuple[Count, ...], Field(min_length=1)]  # one conv-pool block per entry
    dense: Count  # width of the feature layer the Frechet distance compares
    dropout: Probability
    lr: Positive
    batch_size: Count
    max_epochs: Count
    patience: Count0
    score_batch: Count  # images per forward pass when scoring
    cpu_threads: Count0 | None = None  # None: training.cpu_threads; 0: all cores


class ScoresConfig(Section):
    """`samples`: generated images each model is scored on (10,000: the size of the real test
    set they are compared with); `splits`: the Inception Score's groups (10 is the usual
    choice); a class is covered when its share of the generated images is at least
    `min_share_factor` / n_classes."""

    samples: Count
    splits: Count
    min_share_factor: Fraction
