"""The digit classifier that scores generated images: fit, keep the best epoch, test it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dlpipe.config import TrainingConfig
from dlpipe.config.sections_digits import DigitClassifierConfig
from dlpipe.data.mnist_data import to_tensors
from dlpipe.data.tensor_data import PairsDataModule, TensorPairs
from dlpipe.datasets.mnist import MnistSplits
from dlpipe.models.classifier_module import ClassifierModule
from dlpipe.models.components.digit_cnn import DigitCNN
from dlpipe.optim import optimizer_factory
from dlpipe.tracking import RunLogger
from dlpipe.training.fit import fit


@dataclass(frozen=True)
class DigitClassifierResult:
    """The best epoch's network (eval mode, CPU) and how good it is.

    `best_epoch` is 1-based; `history` has one value per epoch; `seconds` is the fit's wall time.
    """

    network: DigitCNN
    test_accuracy: float
    test_loss: float
    history: dict[str, list[float]]
    best_epoch: int
    seconds: float


def build_digit_cnn(cfg: DigitClassifierConfig, n_classes: int, size: int) -> DigitCNN:
    return DigitCNN(n_classes, cfg.channels, cfg.dense, cfg.dropout, size=size)


def train_digit_classifier(
    splits: MnistSplits,
    cfg: DigitClassifierConfig,
    training: TrainingConfig,
    seed: int,
    run: RunLogger | None,
    checkpoint_dir: Path,
) -> DigitClassifierResult:
    """Adam on train, checkpoint (and early-stop, if `cfg.patience`) on val/loss, restore the
    best weights and report the test split's accuracy and loss."""
    training = training.with_threads(cfg.cpu_threads)
    height, width = splits.train_x.shape[1:3]
    if height != width:
        raise ValueError(f"the digit classifier needs square images, got {height}x{width}")
    torch.manual_seed(seed)
    network = build_digit_cnn(cfg, splits.n_classes, int(height))
    module = ClassifierModule(network, optimizer_factory("adam", {"lr": cfg.lr}))
    data = PairsDataModule(
        TensorPairs(*to_tensors(splits.train_x, splits.train_y)),
        TensorPairs(*to_tensors(splits.val_x, splits.val_y)),
        cfg.batch_size,
        seed,
        test=TensorPairs(*to_tensors(splits.test_x, splits.test_y)),
        eval_batch_size=cfg.score_batch,
        num_workers=training.num_workers,
    )
    started = time.perf_counter()
    fitted = fit(
        module,
        data,
        training,
        seed=seed,
        max_epochs=cfg.max_epochs,
        checkpoint_dir=checkpoint_dir,
        run=run,
        patience=cfg.patience or None,
        label="digit classifier",
    )
    seconds = time.perf_counter() - started
    (tested,) = fitted.trainer.test(module, datamodule=data, verbose=False)
    val_loss = np.asarray(fitted.history["val/loss"], dtype=np.float64)
    return DigitClassifierResult(
        network=module.network.cpu().eval(),
        test_accuracy=float(tested["test/acc"]),
        test_loss=float(tested["test/loss"]),
        history={key: list(values) for key, values in fitted.history.items()},
        best_epoch=int(np.nanargmin(val_loss)) + 1,
        seconds=seconds,
    )
