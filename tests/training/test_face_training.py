"""The face CNN trained for real on tiny separable images, its module, and its model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient

from dlpipe.config import FaceAugment, FaceCnnConfig, TrainingConfig
from dlpipe.data.face_data import FaceSplits
from dlpipe.models.components.face_cnn import FaceCNN
from dlpipe.models.face_model_io import FaceModelError, load_face_model, save_face_model
from dlpipe.models.face_module import FaceClassifierModule
from dlpipe.optim import optimizer_factory
from dlpipe.tracking import start_run, tracking_location
from dlpipe.training.face_cnn import FaceCnnResult, best_epoch, train_face_cnn

SIZE = 16
CLASSES = ("horizontal", "vertical", "square")


def _patterns(counts: tuple[int, int, int], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Horizontal stripes, vertical stripes, a bright centre square; noisy, random phase."""
    images, labels = [], []
    grid = np.arange(SIZE)
    for label, n in enumerate(counts):
        for _ in range(n):
            phase = rng.integers(0, 4)
            if label == 0:
                image = np.repeat(((grid + phase) % 4 < 2)[:, None], SIZE, axis=1)
            elif label == 1:
                image = np.repeat(((grid + phase) % 4 < 2)[None, :], SIZE, axis=0)
            else:
                image = np.zeros((SIZE, SIZE), dtype=bool)
                lo = 4 + phase % 2
                image[lo : lo + 7, lo : lo + 7] = True
            level = rng.integers(150, 256)
            noisy = image * level + rng.integers(0, 60, size=(SIZE, SIZE))
            images.append(np.clip(noisy, 0, 255).astype(np.uint8))
            labels.append(label)
    return np.stack(images), np.array(labels, dtype=np.int64)


def _data(seed: int = 0) -> FaceSplits:
    rng = np.random.default_rng(seed)
    parts = {"train": (20, 14, 10), "val": (4, 4, 4), "test": (6, 6, 6)}
    arrays = {split: _patterns(counts, rng) for split, counts in parts.items()}
    return FaceSplits(
        x={s: a[0] for s, a in arrays.items()},
        y={s: a[1] for s, a in arrays.items()},
        classes=CLASSES,
    )


def _cfg(**overrides) -> FaceCnnConfig:
    options = {
        "channels": (8, 16),
        "kernel_size": 3,
        "dense": (32,),
        "dropout": 0.2,
        "batch_norm": True,
        "augment": FaceAugment(flip=True, rotation_deg=5.0, shift=0.05, brightness=0.1),
        "balance": "class_weights",
        "optimizer": "adam",
        "optimizer_hyper": {"lr": 0.01},
        "batch_size": 16,
        "max_epochs": 12,
        "patience": 6,
    }
    options.update(overrides)
    return FaceCnnConfig(**options)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[FaceSplits, FaceCnnResult, Path]:
    training = TrainingConfig("cpu", 1, 1, True, False, 0, 1)  # the cpu_training fixture's values
    data = _data()
    ckpt = tmp_path_factory.mktemp("face_ckpt")
    return data, train_face_cnn(data, _cfg(), training, seed=0, run=None, checkpoint_dir=ckpt), ckpt


def test_training_beats_chance_on_held_out_images(trained) -> None:
    data, result, _ = trained
    accuracy = np.mean(result.predictions["test"] == data.y["test"])
    assert accuracy >= 0.8, f"test accuracy {accuracy:.2f} (chance is 0.33)"


def test_result_holds_every_split_history_and_a_cpu_eval_network(trained) -> None:
    data, result, ckpt = trained
    assert set(result.probabilities) == set(result.predictions) == {"train", "val", "test"}
    for split, probs in result.probabilities.items():
        assert probs.shape == (len(data.y[split]), 3)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(result.predictions[split], probs.argmax(axis=1))
    assert set(result.history) == {"train/loss", "train/acc", "val/loss", "val/acc"}
    n_epochs = len(result.history["val/loss"])
    assert 1 <= n_epochs <= 12 and all(len(v) == n_epochs for v in result.history.values())
    assert 1 <= result.best_epoch <= n_epochs
    assert not result.network.training
    assert all(p.device.type == "cpu" for p in result.network.parameters())
    assert (ckpt / "best.ckpt").is_file()


def test_returned_network_is_the_best_epochs_not_the_last(cpu_training, tmp_path) -> None:
    """Random labels: the network memorises train and val/loss rises after its low point. The
    val set fits one batch, so the weighted CE of the returned network's probabilities must equal
    the lowest val/loss recorded (the checkpoint's weights were restored), not the last one."""
    data = _data()
    rng = np.random.default_rng(0)
    shuffled = FaceSplits(data.x, {s: rng.permutation(v) for s, v in data.y.items()}, CLASSES)
    cfg = _cfg(augment=FaceAugment(False, 0.0, 0.0, 0.0), dropout=0.0, max_epochs=15)
    result = train_face_cnn(shuffled, cfg, cpu_training, 0, None, tmp_path)
    losses = result.history["val/loss"]
    assert result.best_epoch < len(losses), "val/loss never rose: the test proves nothing"
    assert losses[result.best_epoch - 1] == min(losses)
    y = shuffled.y["val"]
    counts = np.bincount(shuffled.y["train"], minlength=3)
    weights = len(shuffled.y["train"]) / (3 * counts)
    picked = np.log(result.probabilities["val"][np.arange(len(y)), y])
    weighted_ce = -(weights[y] * picked).sum() / weights[y].sum()
    assert weighted_ce == pytest.approx(min(losses), rel=1e-4)
    assert weighted_ce != pytest.approx(losses[-1], rel=1e-3)


def test_sampler_balancing_trains_and_logs_to_mlflow(cpu_training, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    data = _data(seed=1)
    cfg = _cfg(balance="sampler", max_epochs=6)
    with start_run(tmp_path, "probe", "face_stage", {}) as run:
        result = train_face_cnn(data, cfg, cpu_training, 1, run, tmp_path / "ckpt")
    assert np.mean(result.predictions["test"] == data.y["test"]) > 0.5
    client = MlflowClient(tracking_location(tmp_path).uri)
    steps = client.get_metric_history(run.run_id, "train/loss")
    assert len(steps) == len(result.history["train/loss"])
    assert {"val/loss", "val/acc", "train/acc"} <= set(client.get_run(run.run_id).data.metrics)


def test_best_epoch_is_one_based_and_first_on_ties() -> None:
    assert best_epoch([0.9, 0.5, 0.7, 0.5]) == 2
    assert best_epoch([float("nan"), 0.3]) == 2
    with pytest.raises(ValueError):
        best_epoch([])


def test_missing_validation_split_is_refused(cpu_training, tmp_path) -> None:
    data = _data()
    partial = FaceSplits({"train": data.x["train"]}, {"train": data.y["train"]}, CLASSES)
    with pytest.raises(ValueError, match="'val'"):
        train_face_cnn(partial, _cfg(), cpu_training, 0, None, tmp_path)


# --- the LightningModule --------------------------------------------------------------------


class _Recorder(torch.nn.Module):
    """Logits from a fixed linear map; remembers the last input."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)
        self.seen: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen = x
        return self.linear(x.flatten(1))


def test_augmentation_only_in_training_and_weights_in_the_loss() -> None:
    torch.manual_seed(0)
    weights = torch.tensor([1.0, 3.0])
    net = _Recorder()
    module = FaceClassifierModule(
        net, optimizer_factory("adam", {"lr": 0.01}), weights, FaceAugment(False, 0.0, 0.0, 0.5)
    )
    x, y = torch.full((6, 1, 2, 2), 0.5), torch.tensor([0, 1, 1, 0, 1, 0])
    with pytest.warns(UserWarning):  # self.log outside a Trainer
        loss = module._step((x, y), 0, "val")
    assert torch.equal(net.seen, x)
    expected = torch.nn.functional.cross_entropy(net.linear(x.flatten(1)), y, weight=weights)
    torch.testing.assert_close(loss, expected)
    with pytest.warns(UserWarning):
        module._step((x, y), 0, "train")
    assert not torch.equal(net.seen, x)
    assert torch.equal(module.class_weights, weights)


# --- the model file ---------------------------------------------------------------------------


def test_save_load_round_trip_gives_identical_logits(tmp_path) -> None:
    cfg = _cfg(channels=(4, 8), dense=(16,))
    torch.manual_seed(0)
    net = FaceCNN(3, 24, 3, cfg.channels, cfg.kernel_size, cfg.dense, cfg.dropout, True)
    net.train()(torch.rand(8, 3, 24, 24))  # move the batch-norm running statistics
    net.eval()
    path = tmp_path / "models" / "face_cnn.pt"
    extract = {"size": 24, "equalize": True, "margins": (0.1, 0.2)}
    save_face_model(path, net, CLASSES, cfg, in_channels=3, size=24, extract=extract)
    loaded, classes, meta = load_face_model(path)
    x = torch.rand(5, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x), rtol=0, atol=0)
    assert classes == CLASSES and not loaded.training
    assert meta["size"] == 24 and meta["in_channels"] == 3 and meta["channels"] == [4, 8]
    assert meta["extract"] == {"size": 24, "equalize": True, "margins": [0.1, 0.2]}


def test_extra_metadata_must_be_json_safe_and_new(tmp_path) -> None:
    net = FaceCNN(1, 8, 3, (4,), 3, (), 0.0, False)
    cfg = _cfg(channels=(4,), dense=(), dropout=0.0, batch_norm=False)
    with pytest.raises(ValueError, match="replace channels"):
        save_face_model(tmp_path / "a.pt", net, CLASSES, cfg, 1, 8, channels=[9])
    with pytest.raises(ValueError, match="JSON-safe"):
        save_face_model(tmp_path / "b.pt", net, CLASSES, cfg, 1, 8, when=object())
    assert not list(tmp_path.iterdir())


def test_load_names_a_missing_or_foreign_file(tmp_path) -> None:
    missing = tmp_path / "nope.pt"
    with pytest.raises(FaceModelError, match=r"nope\.pt does not exist"):
        load_face_model(missing)
    text = tmp_path / "notes.pt"
    text.write_text("not a model")
    with pytest.raises(FaceModelError, match=r"notes\.pt is not a readable torch file"):
        load_face_model(text)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(FaceModelError, match=r"other\.pt is not a face model file"):
        load_face_model(other)
