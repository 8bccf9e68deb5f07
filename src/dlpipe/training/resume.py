"""Resuming a killed fit from its last finished epoch, to the same result as an uninterrupted fit.

Inside a running stage (`dlpipe.stage.resume_scope`), the fit routine keeps its checkpoints in
the stage's resume folder (`.dlpipe/checkpoints/<stage>/<key>/<output>/<path>`), which outlives
a kill, instead of the staged output folder, which a failed run discards: `best.ckpt` and
`last.ckpt` as always (Lightning 2.6 rewrites `last.ckpt` only when `best.ckpt` improves), and
`resume.ckpt`, written by `ResumeCheckpoint` at every epoch end. A rerun of the stage hands
`resume.ckpt` to `trainer.fit`; at the end `best.ckpt` and `last.ckpt` are copied to the folder
the family asked for, so the outputs hold the same files as before.

Lightning restores the weights, optimizer, loop counters and callback states (the best score,
early stopping's patience, `EpochHistory`) and the DataModule's state (the training loader's
generators: `data.tensor_data.ResumableOrder`). It does not restore the global random generators
(dropout masks, noise) nor that early stopping had ended training; `ResumeCheckpoint` saves and
restores both. Checkpoints are written at epoch ends only: a kill mid-epoch loses that epoch's
work, and the rerun repeats it with the same draws.
"""

from __future__ import annotations

import logging
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import Checkpoint
from lightning.pytorch.trainer.states import TrainerFn

from dlpipe.distributed import global_rank
from dlpipe.stage import resume_scope

log = logging.getLogger("dlpipe.training")

RESUME = "resume.ckpt"


class ResumeCheckpoint(Checkpoint):
    """Writes `path` at every epoch end, with what Lightning's checkpoints leave out and a resumed
    fit needs to continue as an uninterrupted one: the global random generators (torch, CUDA,
    NumPy, Python) and whether training is over (early stopping said stop).

    A `Checkpoint`, so Lightning calls it after early stopping and the best-model checkpoint
    (the trainer factory puts it after that one): the file holds their state for this epoch.
    Both are restored when a fit resumes (not when `validate(ckpt_path=best)` loads a
    checkpoint: that must not rewind the generators): the generators at once (a finished fit
    goes no further) and again at `on_train_start`, after Lightning's own setup, so the next
    epoch starts from the saved state; the stop there too.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._trainer: pl.Trainer | None = None
        self._pending: dict[str, Any] | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._trainer = trainer

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        trainer.save_checkpoint(self.path)  # every rank calls it; rank zero writes

    def state_dict(self) -> dict[str, Any]:
        stopping = self._trainer is not None and self._trainer.should_stop
        return {"rng": rng_state(), "should_stop": bool(stopping)}

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        state = checkpoint.get("callbacks", {}).get(self.state_key)
        if state is not None and trainer.state.fn == TrainerFn.FITTING:
            self._pending = state
            set_rng_state(state["rng"])

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._pending is not None:
            set_rng_state(self._pending["rng"])
            trainer.should_stop = trainer.should_stop or self._pending.get("should_stop", False)
            self._pending = None


def rng_state() -> dict[str, Any]:
    """The global generators' states, as values `torch.load(weights_only=True)` accepts."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
        "python": random.getstate(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))


@dataclass(frozen=True)
class ResumePlan:
    """Where a fit writes checkpoints and what it resumes from.

    `folder`: the persistent folder (None outside a stage's scope: checkpoints go where the
    family asked, nothing resumes); `last`: the `resume.ckpt` to resume from, if any.
    """

    folder: Path | None = None
    last: Path | None = None

    def checkpoint_dir(self, requested: Path) -> Path:
        return requested if self.folder is None else self.folder

    def callbacks(self) -> list[pl.Callback]:
        return [] if self.folder is None else [ResumeCheckpoint(self.folder / RESUME)]

    def finish(self, requested: Path) -> None:
        """Copy the best and last checkpoints to `requested` (files only: nested fits have their
        own folders; `resume.ckpt` is the resume folder's business)."""
        if self.folder is None or global_rank() != 0:
            return
        requested.mkdir(parents=True, exist_ok=True)
        for file in sorted(self.folder.glob("*.ckpt")):
            if file.name != RESUME:
                shutil.copy2(file, requested / file.name)


def plan_resume(checkpoint_dir: Path, module: pl.LightningModule, label: str) -> ResumePlan:
    """The plan for a fit of `module` that the family asked to checkpoint into `checkpoint_dir`.

    A `resume.ckpt` that cannot be read, or whose weights do not fit `module` (names or
    shapes), is discarded with a warning and the fit starts from scratch.
    """
    scope = resume_scope()
    folder, first = scope.folder_for(checkpoint_dir) if scope is not None else (None, False)
    if folder is None:
        return ResumePlan()
    last = folder / RESUME
    if first and last.is_file():
        epochs, problem = _inspect(last, module)
        if problem is None:
            log.info("resuming %s from epoch %d (checkpoint %s)", label, epochs + 1, last)
            return ResumePlan(folder=folder, last=last)
        log.warning("%s: not resuming from %s (%s): training from the start", label, last, problem)
    if global_rank() == 0:
        shutil.rmtree(folder, ignore_errors=True)  # no stale best.ckpt for ModelCheckpoint to see
    return ResumePlan(folder=folder)


def _inspect(last: Path, module: pl.LightningModule) -> tuple[int, str | None]:
    """(epochs done, None) when `last` can resume `module`; else (0, why not)."""
    try:
        checkpoint = torch.load(last, map_location="cpu", weights_only=True)
        saved, epochs = checkpoint["state_dict"], int(checkpoint["epoch"]) + 1
    except Exception as exc:  # a truncated or foreign file: any reason means "start over"
        return 0, f"unreadable: {type(exc).__name__}: {exc}"
    wanted = {name: tuple(t.shape) for name, t in module.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in saved.items()}
    if wanted != found:
        differ = sorted(set(wanted.items()) ^ set(found.items()))[:3]
        return 0, f"its weights do not fit the model: {differ}"
    return epochs, None
