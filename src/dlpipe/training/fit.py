"""The one fit routine: train, restore the best checkpoint, return the module and its history.

Every family trains through it, so early stopping, checkpoints, logging, the restore of the
best epoch and the resume of a killed stage (dlpipe.training.resume) behave the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lightning.pytorch as pl

from dlpipe.config import TrainingConfig
from dlpipe.tracking import RunLogger
from dlpipe.training.callbacks import EpochHistory, NonFiniteLossError
from dlpipe.training.resume import plan_resume
from dlpipe.training.trainer_factory import build_trainer

History = dict[str, tuple[float, ...]]


@dataclass(frozen=True)
class Fitted:
    """The module holding its best epoch's weights, one value per epoch for each key, and the
    Trainer (for a test pass on the same devices)."""

    module: pl.LightningModule
    history: History
    trainer: pl.Trainer


def fit(
    module: pl.LightningModule,
    datamodule: pl.LightningDataModule,
    training: TrainingConfig,
    *,
    seed: int,
    max_epochs: int,
    checkpoint_dir: Path,
    run: RunLogger | None = None,
    monitor: str = "val/loss",
    patience: int | None = None,
    history_keys: Sequence[str] = ("train/loss", "train/acc", "val/loss", "val/acc"),
    label: str = "model",
) -> Fitted:
    """Fit with checkpoints on `monitor` (early stopping after `patience` epochs if given), then
    validate from the best checkpoint, which loads its weights back into `module`.

    Under DDP every rank calls this with the same arguments; only rank zero writes checkpoints
    (into its own `checkpoint_dir`: ModelCheckpoint broadcasts rank zero's folder), and every rank
    restores rank zero's best file, so the ranks must share a filesystem. The history holds what
    this process logged (rank zero's share of the batches unless the module syncs its metrics).

    Inside a running stage the checkpoints live in the stage's resume folder while training, a
    rerun after a kill resumes from its `last.ckpt`, and both files are then copied to
    `checkpoint_dir` (dlpipe.training.resume).
    """
    history = EpochHistory(keys=tuple(history_keys))
    plan = plan_resume(checkpoint_dir, module, label)
    trainer = build_trainer(
        training,
        seed=seed,
        max_epochs=max_epochs,
        logger=run.lightning_logger() if run is not None else None,
        checkpoint_dir=plan.checkpoint_dir(checkpoint_dir),
        monitor=monitor,
        callbacks=[history, *plan.callbacks()],
        patience=patience,
        label=label,
    )
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=plan.last, weights_only=True)
    except NonFiniteLossError as exc:
        exc.history = _frozen(history)  # the epochs before it diverged, for the report
        raise
    # Rank zero's choice of file for every rank ("best" lets Lightning explain a missing one).
    # weights_only=True: Lightning passes None, which an environment variable
    # (TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD) can turn into a full unpickle.
    best = trainer.strategy.broadcast(_best_path(trainer)) or "best"
    trainer.validate(
        module, datamodule=datamodule, ckpt_path=best, verbose=False, weights_only=True
    )
    plan.finish(checkpoint_dir)
    return Fitted(module=module, history=_frozen(history), trainer=trainer)


def _best_path(trainer: pl.Trainer) -> str:
    callback = trainer.checkpoint_callback
    return getattr(callback, "best_model_path", "") if callback is not None else ""


def _frozen(history: EpochHistory) -> History:
    return {key: tuple(values) for key, values in history.history.items()}
