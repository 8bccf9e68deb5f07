"""A stage killed during training resumes from its last epoch to the very same result.

In process, with the real stage runner, Trainer and checkpoints: a small LSTM with dropout (the
global generator) on shuffled batches (the loader's generator) is fitted once without
interruption, and once with a crash in the middle of an epoch followed by a rerun of the stage.
The rerun must log that it resumes, and end with bit-identical weights and history. The
subprocess kills (SIGKILL, SIGINT, `dvc repro`) are in tests/test_kill_resume.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch

from dlpipe.config import TrainingConfig
from dlpipe.data.tensor_data import PairsDataModule, TensorPairs
from dlpipe.models.components.lstm import LSTMRegressor
from dlpipe.models.regression_module import RegressionModule
from dlpipe.optim.factory import optimizer_factory
from dlpipe.stage import Stage, StageSpec, run_stage
from dlpipe.training.fit import fit
from dlpipe.training.trial_hooks import trial_callbacks

REPO = Path(__file__).resolve().parents[2]
SPEC = StageSpec("fit_demo", "demo", ("seed",), ("models/demo/",), tracked=False)


class Crash(RuntimeError):
    """The simulated kill."""


class CrashAt(pl.Callback):
    """Raises in the middle of epoch `epoch` (0-based), after batch `batch`."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.current_epoch == self.epoch and args[-1] == self.batch:
            raise Crash(f"killed in epoch {self.epoch}, batch {self.batch}")


def _project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root.mkdir()
    (root / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (root / "params.yaml").write_text((REPO / "params.yaml").read_text("utf-8"), "utf-8")
    monkeypatch.chdir(root)
    return root


def _data(noise_only: bool) -> PairsDataModule:
    """256 training and 64 validation windows; targets follow the inputs unless `noise_only`."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(320, 5, 2, generator=gen)
    y = torch.randn(320, generator=gen) if noise_only else x[:, -1, 0] + 0.1 * x[:, 0, 1]
    return PairsDataModule(TensorPairs(x[:256], y[:256]), TensorPairs(x[256:], y[256:]), 32, 7)


Result = dict[str, Any]


def _body(
    training: TrainingConfig,
    results: list[Result],
    *,
    patience: int | None,
    max_epochs: int,
    hidden: int = 8,
    noise_only: bool = False,
) -> Callable[[Stage], None]:
    def body(stage: Stage) -> None:
        seed = stage.params.seed
        torch.manual_seed(seed)
        network = LSTMRegressor(2, hidden, 1, 0.3, head_sizes=(8,))  # dropout before the head
        module = RegressionModule(network, optimizer_factory("adam", {"lr": 0.01}))
        fitted = fit(
            module,
            _data(noise_only),
            training,
            seed=seed,
            max_epochs=max_epochs,
            checkpoint_dir=stage.out("models/demo") / "ckpt",
            patience=patience,
            history_keys=("train/loss", "val/loss"),
            label="demo LSTM",
        )
        results.append(
            {
                "history": fitted.history,
                "weights": {k: v.clone() for k, v in module.state_dict().items()},
                # What an unseeded draw after the fit gives: the generators' state carries on.
                "next_draw": torch.rand(3),
            }
        )

    return body


def _assert_identical(first: Result, second: Result) -> None:
    assert first["history"] == second["history"]
    assert first["weights"].keys() == second["weights"].keys()
    for name, value in first["weights"].items():
        assert torch.equal(value, second["weights"][name]), name
    assert torch.equal(first["next_draw"], second["next_draw"])


def test_a_fit_killed_mid_epoch_resumes_to_the_same_weights_and_history(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cpu_training: TrainingConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    plain: list[Result] = []
    _project(tmp_path / "plain", monkeypatch)
    run_stage(SPEC, _body(cpu_training, plain, patience=None, max_epochs=4))

    root = _project(tmp_path / "killed", monkeypatch)
    resumed: list[Result] = []
    with trial_callbacks(CrashAt(epoch=2, batch=3)), pytest.raises(Crash):
        run_stage(SPEC, _body(cpu_training, resumed, patience=None, max_epochs=4))
    assert not (root / "models/demo").exists()  # the killed run committed nothing
    kept = list((root / ".dlpipe/checkpoints/fit_demo").rglob("*.ckpt"))
    assert sorted(p.name for p in kept) == ["best.ckpt", "last.ckpt", "resume.ckpt"]

    caplog.set_level(logging.INFO, logger="dlpipe.training")
    caplog.clear()  # only the rerun's lines
    run_stage(SPEC, _body(cpu_training, resumed, patience=None, max_epochs=4))
    assert "resuming demo LSTM from epoch 3 (checkpoint " in caplog.text
    assert len(resumed[0]["history"]["val/loss"]) == 4
    _assert_identical(plain[0], resumed[0])
    # Committed: the checkpoints are in the output, the resume folder is gone.
    assert sorted(p.name for p in (root / "models/demo/ckpt").iterdir()) == [
        "best.ckpt",
        "last.ckpt",
    ]
    assert not (root / ".dlpipe/checkpoints/fit_demo").exists()


@pytest.mark.parametrize(
    ("patience", "max_epochs"),
    [(1, 30), (None, 4)],
    ids=["stopped early", "all epochs done"],
)
def test_a_fit_killed_after_it_ended_resumes_to_the_same_result(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cpu_training: TrainingConfig,
    caplog: pytest.LogCaptureFixture,
    patience: int | None,
    max_epochs: int,
) -> None:
    """Killed after the fit, before the stage committed. The rerun resumes from the last epoch
    and trains no further, whether all epochs were done or early stopping had said stop (which
    Lightning does not save), to the result of the first run."""
    plain: list[Result] = []
    _project(tmp_path / "plain", monkeypatch)
    run_stage(
        SPEC, _body(cpu_training, plain, patience=patience, max_epochs=max_epochs, noise_only=True)
    )
    epochs = len(plain[0]["history"]["val/loss"])
    if patience is not None:
        assert epochs < max_epochs - 1, "the noise targets were meant to stop training early"
    else:
        # Every epoch is in the history, though the best one (restored by `validate`) is not
        # the last: restoring the best checkpoint must not roll the history back.
        assert epochs == max_epochs
        assert min(plain[0]["history"]["val/loss"]) < plain[0]["history"]["val/loss"][-1]

    _project(tmp_path / "killed", monkeypatch)
    resumed: list[Result] = []

    def killed_after_the_fit(stage: Stage) -> None:
        _body(cpu_training, resumed, patience=patience, max_epochs=max_epochs, noise_only=True)(
            stage
        )
        raise Crash("killed after the fit")

    with pytest.raises(Crash):
        run_stage(SPEC, killed_after_the_fit)
    caplog.set_level(logging.INFO, logger="dlpipe.training")
    caplog.clear()  # only the rerun's lines
    run_stage(
        SPEC,
        _body(cpu_training, resumed, patience=patience, max_epochs=max_epochs, noise_only=True),
    )
    assert f"resuming demo LSTM from epoch {epochs + 1} (checkpoint " in caplog.text
    assert "demo LSTM: epoch" not in caplog.text  # nothing left to train
    _assert_identical(plain[0], resumed[1])


def test_a_checkpoint_that_does_not_fit_the_model_is_dropped(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cpu_training: TrainingConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The network changed between the kill and the rerun (in code the key does not cover):
    the rerun warns, trains from the first epoch, and commits."""
    root = _project(tmp_path / "killed", monkeypatch)
    results: list[Result] = []
    with trial_callbacks(CrashAt(epoch=1, batch=0)), pytest.raises(Crash):
        run_stage(SPEC, _body(cpu_training, results, patience=None, max_epochs=3))
    caplog.set_level(logging.INFO, logger="dlpipe.training")
    caplog.clear()  # only the rerun's lines
    run_stage(SPEC, _body(cpu_training, results, patience=None, max_epochs=3, hidden=12))
    assert "demo LSTM: not resuming from " in caplog.text
    assert "its weights do not fit the model" in caplog.text
    assert "resuming demo LSTM" not in caplog.text
    assert "demo LSTM: epoch 1/3" in caplog.text
    assert len(results[0]["history"]["val/loss"]) == 3
    assert (root / "models/demo/ckpt/best.ckpt").is_file()
