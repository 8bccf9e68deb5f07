"""The one Trainer factory: seeded, checkpointing, tracked, and stopping on non-finite loss."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import EarlyStopping
from mlflow.tracking import MlflowClient

from dlpipe.config import TrainingConfig
from dlpipe.data.mnist_data import MnistDataModule
from dlpipe.models.classifier_module import ClassifierModule
from dlpipe.models.components import MLP
from dlpipe.optim import optimizer_factory
from dlpipe.tracking import start_run, tracking_location
from dlpipe.training import EpochHistory, NonFiniteLossError, build_trainer


def _fit(
    training: TrainingConfig, data_path: Path, seed: int, lr: float = 0.01, **kwargs
) -> tuple[ClassifierModule, EpochHistory]:
    data = MnistDataModule(data_path, batch_size=32, seed=seed)
    torch.manual_seed(seed)
    module = ClassifierModule(MLP(784, (32,), 10), optimizer_factory("adam", {"lr": lr}))
    history = EpochHistory()
    trainer = build_trainer(training, seed=seed, max_epochs=3, callbacks=[history], **kwargs)
    trainer.fit(module, datamodule=data)
    return module, history


def test_short_run_learns_and_records_every_epoch(cpu_training, mnist_npz) -> None:
    _, history = _fit(cpu_training, mnist_npz, seed=1)
    assert set(history.history) == {"train/loss", "train/acc", "val/loss", "val/acc"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.history["train/loss"][-1] < history.history["train/loss"][0]
    assert history.history["val/acc"][-1] > 0.5  # chance is 0.1


def test_same_seed_same_weights_other_seed_other_weights(cpu_training, mnist_npz) -> None:
    a, _ = _fit(cpu_training, mnist_npz, seed=3)
    b, _ = _fit(cpu_training, mnist_npz, seed=3)
    c, _ = _fit(cpu_training, mnist_npz, seed=4)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    assert any(
        not torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters(), strict=True)
    )


def test_checkpoints_land_in_the_given_folder(cpu_training, mnist_npz, tmp_path) -> None:
    _fit(cpu_training, mnist_npz, seed=1, checkpoint_dir=tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["best.ckpt", "last.ckpt"]


def test_non_finite_loss_stops_with_a_message(cpu_training, mnist_npz) -> None:
    with pytest.raises(NonFiniteLossError, match=r"training loss is (nan|inf).*learning rate"):
        _fit(cpu_training, mnist_npz, seed=1, lr=1e30)


def test_metrics_reach_the_tracked_run(cpu_training, mnist_npz, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with start_run(tmp_path, "probe", "probe_stage", {}) as run:
        _fit(cpu_training, mnist_npz, seed=1, logger=run.lightning_logger())
    client = MlflowClient(tracking_location(tmp_path).uri)
    got = client.get_run(run.run_id)
    assert got.info.status == "FINISHED"
    assert len(client.get_metric_history(run.run_id, "val/loss")) == 3
    assert {"train/loss", "train/acc", "val/acc"} <= set(got.data.metrics)


def test_accelerator_comes_from_params(mnist_npz) -> None:
    cfg = TrainingConfig("cpu", 1, 1, False, False, 0, 10)
    trainer = build_trainer(cfg, seed=0, max_epochs=1)
    assert type(trainer.accelerator).__name__ == "CPUAccelerator"
    assert trainer.max_epochs == 1


def test_patience_adds_early_stopping_on_the_monitored_metric(cpu_training) -> None:
    trainer = build_trainer(cpu_training, seed=0, max_epochs=1, monitor="val/rmse", patience=4)
    (stopper,) = [c for c in trainer.callbacks if isinstance(c, EarlyStopping)]
    assert stopper.monitor == "val/rmse" and stopper.patience == 4
    plain = build_trainer(cpu_training, seed=0, max_epochs=1)
    assert not [c for c in plain.callbacks if isinstance(c, EarlyStopping)]


def test_devices_strategy_precision_and_nodes_come_from_params(cpu_training, monkeypatch) -> None:
    """The project's defaults keep one process at Lightning's default precision (results on CPU
    unchanged); DDP settings reach the Trainer as given (building it launches nothing)."""
    plain = build_trainer(cpu_training, seed=0, max_epochs=1)
    assert type(plain.strategy).__name__ == "SingleDeviceStrategy"
    assert plain.precision == "32-true" and plain.num_devices == 1 and plain.num_nodes == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "")  # so that monkeypatch restores it afterwards
    monkeypatch.delenv("OMP_NUM_THREADS")
    ddp = cpu_training.replace(devices=2, strategy="ddp", precision="bf16-mixed", num_nodes=2)
    trainer = build_trainer(ddp, seed=0, max_epochs=1)
    assert type(trainer.strategy).__name__ == "DDPStrategy"
    assert trainer.precision == "bf16-mixed"
    assert (trainer.num_devices, trainer.num_nodes, trainer.world_size) == (2, 2, 4)
    # Each DDP process keeps `cpu_threads` (Lightning's launcher would pick cpu_count / processes).
    assert os.environ["OMP_NUM_THREADS"] == str(cpu_training.cpu_threads)
