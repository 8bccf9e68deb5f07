"""The one place that builds Lightning Trainers, so every family trains the same way."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import (
    Checkpoint,
    EarlyStopping,
    ModelCheckpoint,
    TQDMProgressBar,
)

from dlpipe.config import TrainingConfig
from dlpipe.training.callbacks import EpochProgress, StopOnNonFiniteLoss
from dlpipe.training.trial_hooks import active_callbacks


def build_trainer(
    cfg: TrainingConfig,
    *,
    seed: int,
    max_epochs: int,
    logger: Any = None,
    checkpoint_dir: Path | None = None,
    monitor: str = "val/loss",
    callbacks: Sequence[pl.Callback] = (),
    patience: int | None = None,
    label: str = "model",
    **overrides: Any,
) -> pl.Trainer:
    """A seeded Trainer: GPU when present (accelerator "auto"), deterministic where possible.

    Devices, nodes, strategy and precision come from params (`training`); under DDP every process
    builds the same Trainer (docs/operations.md). `cpu_threads` > 0 caps torch's CPU threads: on a
    small machine, OpenMP threads that spin while another process holds a core slow small models
    down by orders of magnitude. Under DDP it is also each process's cap (Lightning's launcher
    would otherwise give each one cpu_count / processes).

    Checkpoints (best by `monitor`, plus last) go to `checkpoint_dir`; None disables them.
    Checkpoint callbacks among `callbacks` (the resume checkpoint) are put after that one, so
    they save its state of the epoch and `trainer.checkpoint_callback` stays the best-model one.
    `patience` stops training after that many epochs without a better `monitor`; None never.
    `progress_bar` shows Lightning's bar on a terminal; elsewhere (CI logs, `dvc repro > log`)
    each epoch is one log line naming `label`.
    `overrides` pass straight to pl.Trainer for the rare stage that needs more. Callbacks of an
    enclosing `training.trial_hooks.trial_callbacks` block (Optuna's pruner) are appended.
    """
    pl.seed_everything(seed, workers=True, verbose=False)
    if cfg.cpu_threads > 0:
        torch.set_num_threads(cfg.cpu_threads)
        if _may_start_processes(cfg):
            os.environ.setdefault("OMP_NUM_THREADS", str(cfg.cpu_threads))
    if cfg.deterministic and torch.cuda.is_available():
        # cuBLAS needs this for deterministic matmuls; harmless when already set.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    later = [c for c in callbacks if isinstance(c, Checkpoint)]
    all_callbacks: list[pl.Callback] = [
        StopOnNonFiniteLoss(),
        *(c for c in callbacks if not isinstance(c, Checkpoint)),
        *active_callbacks(),
    ]
    if patience is not None:
        all_callbacks.append(EarlyStopping(monitor=monitor, mode="min", patience=patience))
    show_bar = cfg.progress_bar and sys.stderr.isatty()
    if show_bar:
        all_callbacks.append(TQDMProgressBar(refresh_rate=50))
    else:
        all_callbacks.append(EpochProgress(label))
    if checkpoint_dir is not None:
        all_callbacks.append(
            ModelCheckpoint(
                dirpath=checkpoint_dir,
                filename="best",
                monitor=monitor,
                mode="min",
                save_top_k=1,
                save_last=True,
            )
        )
    all_callbacks.extend(later)
    options: dict[str, Any] = {
        "accelerator": cfg.accelerator,
        "devices": cfg.devices,
        "num_nodes": cfg.num_nodes,
        "strategy": cfg.strategy,
        "precision": cfg.precision,
        "max_epochs": max_epochs,
        "logger": logger if logger is not None else False,
        "callbacks": all_callbacks,
        "deterministic": "warn" if cfg.deterministic else False,
        "enable_progress_bar": show_bar,
        "enable_checkpointing": checkpoint_dir is not None,
        "enable_model_summary": False,
        "log_every_n_steps": cfg.log_every_n_steps,
        "num_sanity_val_steps": 0,
    }
    options.update(overrides)
    return pl.Trainer(**options)


def _may_start_processes(cfg: TrainingConfig) -> bool:
    """Whether the Trainer may run several processes (DDP)."""
    return cfg.strategy != "auto" or cfg.devices != 1 or cfg.num_nodes > 1
