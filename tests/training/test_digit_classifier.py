"""The digit classifier trained for real on tiny synthetic digits, and its model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dlpipe.config import TrainingConfig
from dlpipe.config.sections_digits import DigitClassifierConfig
from dlpipe.datasets.mnist import MnistSplits
from dlpipe.models.components.digit_cnn import DigitCNN
from dlpipe.models.digit_classifier_io import (
    DigitClassifierError,
    load_digit_classifier,
    save_digit_classifier,
)
from dlpipe.models.image_scorer import ImageScorer
from dlpipe.training.digit_classifier import (
    DigitClassifierResult,
    train_digit_classifier,
)
from synthetic_data import synthetic_mnist

EPOCHS = 3


def _cfg(**overrides) -> DigitClassifierConfig:
    options = {
        "channels": (4, 8),
        "dense": 16,
        "dropout": 0.1,
        "lr": 0.01,
        "batch_size": 32,
        "max_epochs": EPOCHS,
        "patience": 0,
        "score_batch": 64,
    }
    options.update(overrides)
    return DigitClassifierConfig(**options)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[MnistSplits, DigitClassifierResult]:
    training = TrainingConfig("cpu", 1, 1, True, False, 0, 1)  # the cpu_training fixture's values
    splits = synthetic_mnist()
    checkpoints = tmp_path_factory.mktemp("digit_checkpoints")
    return splits, train_digit_classifier(splits, _cfg(), training, 0, None, checkpoints)


def test_training_learns_the_synthetic_digits(trained) -> None:
    _, result = trained
    assert result.test_accuracy >= 0.9
    assert result.history["train/loss"][-1] < result.history["train/loss"][0]
    assert {key: len(values) for key, values in result.history.items()} == {
        "train/loss": EPOCHS,
        "train/acc": EPOCHS,
        "val/loss": EPOCHS,
        "val/acc": EPOCHS,
    }
    assert result.seconds > 0


def test_the_network_is_the_best_epoch_in_eval_mode_on_cpu(trained) -> None:
    splits, result = trained
    network = result.network
    assert not network.training
    assert all(p.device.type == "cpu" for p in network.parameters())
    val_loss = result.history["val/loss"]
    assert result.best_epoch == int(np.argmin(val_loss)) + 1
    # The reported test accuracy is the returned network's (not the last epoch's) accuracy.
    predicted = ImageScorer(network).probabilities(splits.test_x).argmax(axis=1)
    assert result.test_accuracy == pytest.approx(float((predicted == splits.test_y).mean()))


def test_classes_come_from_the_data_sets_names(
    cpu_training: TrainingConfig, tmp_path: Path
) -> None:
    """Four named classes give a four-way judge, even when a split lacks one of them."""
    splits = synthetic_mnist(n_train=40, n_other=10)
    arrays = {k: v % 3 if v.ndim == 1 else v for k, v in vars(splits).items() if k != "class_names"}
    four = MnistSplits(**arrays, class_names=("a", "b", "c", "d"))
    result = train_digit_classifier(four, _cfg(max_epochs=1), cpu_training, 0, None, tmp_path)
    assert result.network.n_classes == 4


def test_non_square_images_are_refused(tmp_path: Path) -> None:
    splits = synthetic_mnist(n_train=40, n_other=10)
    wide = MnistSplits(
        splits.train_x[:, :, :20],
        splits.train_y,
        splits.val_x,
        splits.val_y,
        splits.test_x,
        splits.test_y,
    )
    training = TrainingConfig("cpu", 1, 1, True, False, 0, 1)
    with pytest.raises(ValueError, match="square"):
        train_digit_classifier(wide, _cfg(), training, 0, None, tmp_path)


def test_model_file_round_trip(trained, tmp_path: Path) -> None:
    splits, result = trained
    path = tmp_path / "digits" / "model.pt"
    save_digit_classifier(path, result.network, {"test/acc": result.test_accuracy})
    network, metrics = load_digit_classifier(path)
    assert isinstance(network, DigitCNN) and not network.training
    assert network.init_kwargs == result.network.init_kwargs
    assert metrics == {"test/acc": pytest.approx(result.test_accuracy)}
    x = torch.from_numpy(splits.test_x[:8]).float() / 255
    with torch.no_grad():
        torch.testing.assert_close(network(x), result.network(x))
    # weights_only: the file holds only tensors and plain values
    assert torch.load(path, weights_only=True)["format"] == "dlpipe.digit_classifier"


def test_missing_or_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DigitClassifierError, match="does not exist"):
        load_digit_classifier(tmp_path / "none.pt")
    foreign = tmp_path / "foreign.pt"
    torch.save({"format": "dlpipe.face_cnn", "version": 1}, foreign)
    with pytest.raises(DigitClassifierError, match="not a digit classifier file"):
        load_digit_classifier(foreign)
    broken = tmp_path / "broken.pt"
    torch.save({"format": "dlpipe.digit_classifier", "version": 1, "meta": {}}, broken)
    with pytest.raises(DigitClassifierError, match="does not describe"):
        load_digit_classifier(broken)
