"""Callbacks shared by every family."""

from __future__ import annotations

import logging
import math
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.trainer.states import TrainerFn

log = logging.getLogger("dlpipe.training")

PROGRESS_KEYS = ("train/loss", "val/loss", "val/acc", "val/rmse")


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss; continuing would only waste time.

    `history` holds the epochs completed before it (set by the fit routine).
    """

    history: dict[str, tuple[float, ...]] = {}  # noqa: RUF012 - replaced per instance, never mutated


class StopOnNonFiniteLoss(pl.Callback):
    """Stop at the first non-finite training loss with a message saying where and what to try."""

    def __init__(self, hint: str = "lower the learning rate in params.yaml") -> None:
        self.hint = hint

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        bad = not math.isfinite(value)
        if trainer.world_size > 1:
            # Every process must stop together, or the others wait forever in the next step.
            bad = trainer.strategy.reduce_boolean_decision(bad, all=False)
        if bad:
            raise NonFiniteLossError(
                f"{type(pl_module).__name__}: training loss is {value} at epoch "
                f"{trainer.current_epoch}, batch {batch_idx} (global step {trainer.global_step}); "
                f"training stopped: {self.hint}."
            )


class EpochProgress(pl.Callback):
    """One log line per epoch (which model, which epoch of how many, the losses): progress that
    reads well in a CI log, where a per-step bar would not."""

    def __init__(self, label: str, keys: tuple[str, ...] = PROGRESS_KEYS) -> None:
        self.label = label
        self.keys = keys

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        metrics = trainer.callback_metrics
        shown = ", ".join(f"{key} {float(metrics[key]):.4g}" for key in self.keys if key in metrics)
        log.info(
            "%s: epoch %d/%d%s",
            self.label,
            trainer.current_epoch + 1,
            trainer.max_epochs,
            f": {shown}" if shown else "",
        )


class EpochHistory(pl.Callback):
    """Keeps each epoch's logged metrics (train and val), for curves written by the stage.

    Lightning runs the epoch-end validation before `on_train_epoch_end`, so both are present.
    The values travel in checkpoints (`state_dict`): a resumed fit has the whole history.
    """

    def __init__(self, keys: tuple[str, ...] = ("train/loss", "train/acc", "val/loss", "val/acc")):
        self.keys = keys
        self.history: dict[str, list[float]] = {key: [] for key in keys}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        for key in self.keys:
            value = metrics.get(key)
            self.history[key].append(float(value) if value is not None else math.nan)

    def state_dict(self) -> dict[str, Any]:
        """Saved in checkpoints, so a resumed fit returns every epoch's values, not only its own."""
        return {"history": {key: list(values) for key, values in self.history.items()}}

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        """Restored when a fit resumes only: `validate(ckpt_path=best)` loads callback states
        too, and must not roll the history back to the best epoch."""
        state = checkpoint.get("callbacks", {}).get(self.state_key)
        if state is not None and trainer.state.fn == TrainerFn.FITTING:
            saved = state["history"]
            self.history = {key: list(saved.get(key, [])) for key in self.keys}
