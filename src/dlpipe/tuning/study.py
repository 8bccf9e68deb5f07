"""A family's Optuna study: its name, resuming, the trials (each a nested MLflow run), the summary.

- **Name**: the family plus a short hash of its tuning spec (space, fidelity, pruner), the
  params its objective reads and the contents of its input files. An unchanged study resumes: a
  rerun runs only the trials that are missing from `trials`. A changed space, changed params or
  changed data start a new study (the old one stays in the storage, for the dashboard).
- **Trial 0** is always the defaults (the current params), enqueued when the study is new, so
  "tuned vs defaults" compares them at the same fidelity on the validation split.
- **Sampler and pruner**: TPE seeded from `params.seed` (plus the worker's index, so parallel
  workers draw differently; `constant_liar` keeps them off each other's running points) and
  Optuna's MedianPruner, fed per epoch by `EpochPruning` (Optuna's Lightning callback, added to
  every Trainer through `training.trial_hooks`).
- **Failures**: a trial that raises is recorded FAIL with its error as the user attribute
  `error`, and the study goes on. A trial left RUNNING by a process that died (on this machine)
  is marked FAIL with `dlpipe.stale` and does not count, so the rerun replaces it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from lightning.pytorch.trainer.states import TrainerFn
from optuna.trial import FrozenTrial, TrialState
from optuna_integration import PyTorchLightningPruningCallback

from dlpipe.config import Params, as_plain
from dlpipe.tracking import RunLogger, params_hash, start_run
from dlpipe.training.search_strategies import tpe_startup_trials
from dlpipe.training.trial_hooks import trial_callbacks
from dlpipe.tuning import space
from dlpipe.tuning.objectives import OBJECTIVES, Objective
from dlpipe.tuning.storage import open_storage

log = logging.getLogger(__name__)

DEFAULTS_ATTR = "dlpipe.defaults"
WORKER_ATTR = "dlpipe.worker"
STALE_ATTR = "dlpipe.stale"
ERROR_ATTR = "error"
MAX_ERROR = 2000
ONE_DEVICE = {"training.devices": 1, "training.num_nodes": 1, "training.strategy": "auto"}
"""Every trial (and the tuned retrain) trains in its own process on one device: a DDP launcher
would start the whole study again per rank. Tuning runs in parallel through workers instead."""


class EpochPruning(PyTorchLightningPruningCallback):
    """Optuna's Lightning pruning callback, reporting only while fitting, and never pruning at
    the last epoch.

    The fit routine validates once more from the best checkpoint after training; Optuna's
    callback would report that as the last epoch again and could prune a finished trial. At the
    last epoch pruning saves nothing and would throw the trial's value away: it is reported, and
    the trial completes.
    """

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.state.fn != TrainerFn.FITTING or trainer.sanity_checking:
            return
        if pl_module.current_epoch >= (trainer.max_epochs or 0) - 1:
            score = trainer.callback_metrics.get(self.monitor)
            if score is not None:
                self._trial.report(float(score), step=pl_module.current_epoch)
            return
        super().on_validation_end(trainer, pl_module)


def study_name(root: Path, params: Params, family: str) -> str:
    """`<family>-<hash>`: the hash of what makes trials comparable (not the trial count or
    time budget, so raising them resumes the same study)."""
    spec = params.tuning.families[family]
    objective = OBJECTIVES[family]
    key = {
        "data": data_fingerprint(root, objective.data),
        "space": as_plain(spec.space),
        "fixed": as_plain(spec.fixed),
        "max_epochs": spec.max_epochs,
        "test_fraction": spec.test_fraction,
        "pruner": as_plain(params.tuning.pruner),
        "reads": {name: as_plain(space.current_value(params, name)) for name in objective.reads},
    }
    return f"{family}-{params_hash(key)[:8]}"


def data_fingerprint(root: Path, inputs: Sequence[str]) -> str:
    """A digest of the input files' names and contents (folders walked in name order); a
    missing input counts as missing, so the caller's own load reports it."""
    digest = hashlib.sha256()
    for name in inputs:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() if file.is_file() else b"<missing>")
    return digest.hexdigest()[:16]


def open_study(root: Path, params: Params, family: str, worker: int = 0) -> optuna.Study:
    """The family's study in the configured storage (created when missing), with a sampler
    seeded for this worker; each process opens its own."""
    objective = OBJECTIVES[family]
    spec = params.tuning.families[family]
    pruner = params.tuning.pruner
    warmup = pruner.warmup_epochs if spec.warmup_epochs is None else spec.warmup_epochs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=params.seed + worker,
            n_startup_trials=tpe_startup_trials(spec.trials),
            constant_liar=True,
        )
    with _quiet_optuna():
        study = optuna.create_study(
            storage=open_storage(root, params.tuning),
            study_name=study_name(root, params, family),
            direction=objective.direction,
            sampler=sampler,
            pruner=optuna.pruners.MedianPruner(
                n_startup_trials=pruner.startup_trials, n_warmup_steps=warmup
            ),
            load_if_exists=True,
        )
    if "family" not in study.user_attrs:
        study.set_user_attr("family", family)
        study.set_user_attr("metric", f"val/{objective.metric}")
        study.set_user_attr("space", as_plain(spec.space))
    return study


def prepare(study: optuna.Study, params: Params, family: str, trials: int) -> int:
    """Mark this machine's dead RUNNING trials stale, enqueue the defaults trial unless the
    study has one (done, running or waiting), and return how many trials are missing from
    `trials` (what to run now)."""
    host = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        where = str(trial.user_attrs.get(WORKER_ATTR, ""))
        name, _, pid = where.rpartition(":")
        if name == host and pid.isdigit() and not _alive(int(pid)):
            storage = study._storage
            storage.set_trial_user_attr(trial._trial_id, STALE_ATTR, True)
            storage.set_trial_user_attr(trial._trial_id, ERROR_ATTR, f"stale: {where} ended")
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            log.warning(
                "tune %s: trial %d was left running by %s: failed", family, trial.number, where
            )
    trials_now = study.get_trials(deepcopy=False)
    waiting = [t for t in trials_now if t.state == TrialState.WAITING]
    if not any(t.user_attrs.get(DEFAULTS_ATTR) for t in [*counted(trials_now), *waiting]):
        spec = params.tuning.families[family]
        study.enqueue_trial(
            space.representable(params, spec.space), user_attrs={DEFAULTS_ATTR: True}
        )
    return max(0, trials - len(counted(study.get_trials(deepcopy=False))))


def counted(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Trials that count toward the budget: finished (not stale) or running."""
    return [
        t
        for t in trials
        if (t.state.is_finished() and not t.user_attrs.get(STALE_ATTR))
        or t.state == TrialState.RUNNING
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class TrialContext:
    """What each trial needs besides the study: where MLflow runs go and under which run."""

    root: Path
    stage: str
    parent: RunLogger | None
    total: int  # the study's target trial count (for progress lines)


def run_trials(
    study: optuna.Study,
    params: Params,
    family: str,
    data: Any,
    count: int,
    deadline: float,
    context: TrialContext,
) -> list[FrozenTrial]:
    """Run up to `count` trials, starting none after `deadline` (time.time()); each trial is a
    nested MLflow run under `context.parent` (when given)."""
    objective = OBJECTIVES[family]
    done = []
    with _quiet_optuna():
        for _ in range(count):
            if time.time() >= deadline:
                log.info("tune %s: time budget spent; no new trial", family)
                break
            done.append(_one_trial(study, params, family, objective, data, context))
    return done


def _one_trial(
    study: optuna.Study,
    params: Params,
    family: str,
    objective: Objective,
    data: Any,
    context: TrialContext,
) -> FrozenTrial:
    spec = params.tuning.families[family]
    trial = study.ask()
    trial.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{os.getpid()}")
    defaults = bool(trial.user_attrs.get(DEFAULTS_ATTR))
    only = set(space.representable(params, spec.space)) if defaults else None
    started = time.perf_counter()
    value: float | None = None
    state, error = TrialState.COMPLETE, ""
    try:
        values = space.suggest(trial, params, spec.space, only=only)
        fixed = {**ONE_DEVICE, **spec.fixed, **objective.fidelity(params, spec.max_epochs)}
        trial_params = space.apply(params, {**fixed, **values})
        callbacks = [EpochPruning(trial, objective.monitor)] if objective.monitor else []
        with (
            tempfile.TemporaryDirectory(prefix="dlpipe-trial-") as workdir,
            trial_callbacks(*callbacks),
        ):
            value = objective.score(trial_params, data, trial, Path(workdir), False).val
        if not math.isfinite(value):
            raise ValueError(f"the objective returned {value}")
    except optuna.TrialPruned:
        state, value = TrialState.PRUNED, None
    except Exception as exc:  # a failed trial is a result; the study goes on
        state, value = TrialState.FAIL, None
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        trial.set_user_attr(ERROR_ATTR, error)
    seconds = time.perf_counter() - started
    frozen = study.tell(trial, value, state=state if state != TrialState.COMPLETE else None)
    epochs = len(frozen.intermediate_values)
    shown = f"val/{objective.metric} {value:.5g}" if value is not None else error or "pruned"
    log.info(
        "tune %s: trial %d of %d%s: %s, %s (%d epochs, %.1f s)",
        family,
        frozen.number + 1,
        context.total,
        " (defaults)" if defaults else "",
        frozen.state.name,
        shown,
        epochs,
        seconds,
    )
    if context.parent is not None:
        _log_trial(context, study, frozen, objective, epochs, seconds, defaults, error)
    return frozen


def _log_trial(
    context: TrialContext,
    study: optuna.Study,
    frozen: FrozenTrial,
    objective: Objective,
    epochs: int,
    seconds: float,
    defaults: bool,
    error: str,
) -> None:
    """One nested MLflow run per trial, under the study's run."""
    logged = {"trial": frozen.number, **space.decode_params(frozen.params)}
    with start_run(
        context.root,
        objective.family,
        context.stage,
        logged,
        run_name=f"trial {frozen.number}",
        parent=context.parent,
    ) as run:
        metrics = {"trial/epochs": epochs, "trial/seconds": seconds}
        if frozen.value is not None:
            metrics[f"val/{objective.metric}"] = frozen.value
        run.log_metrics(metrics)
        tags = {
            "optuna.study": study.study_name,
            "optuna.trial": frozen.number,
            "optuna.state": frozen.state.name,
            "dlpipe.defaults": defaults,
        }
        if error:
            tags["dlpipe.error"] = error
        run.set_tags(tags)


@contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna's per-trial INFO lines off (ours say the same, with the family and the count)."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


# --- the summary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialRow:
    number: int
    state: str
    value: float | None
    params: Mapping[str, Any]
    epochs: int
    seconds: float
    defaults: bool
    error: str


@dataclass(frozen=True)
class PruningReport:
    """Pruned trials and the time they saved: each pruned trial's epochs not run (up to the
    mean epochs of the completed trials, which early stopping may end before max_epochs) times
    the completed trials' mean seconds per epoch."""

    pruned: int
    epochs_run: int
    epochs_not_run: float
    seconds_per_epoch: float
    seconds_saved: float


@dataclass(frozen=True)
class StudySummary:
    name: str
    family: str
    metric: str
    direction: str
    target: int
    rows: tuple[TrialRow, ...]
    best: TrialRow | None
    defaults: TrialRow | None
    pruning: PruningReport
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def tuned_is_better(self) -> bool:
        """Whether the best trial is not the defaults and beats them on validation."""
        if self.best is None or self.best.defaults:
            return False
        if self.defaults is None or self.defaults.value is None:
            return True
        objective = OBJECTIVES[self.family]
        return objective.better(self.best.value or math.nan, self.defaults.value)


def summarize(study: optuna.Study, family: str, target: int) -> StudySummary:
    objective = OBJECTIVES[family]
    rows = tuple(_row(t) for t in study.get_trials(deepcopy=False))
    complete = [r for r in rows if r.state == "COMPLETE" and r.value is not None]
    best = None
    for row in complete:
        if best is None or objective.better(row.value, best.value):  # type: ignore[arg-type]
            best = row
    defaults = next((r for r in rows if r.defaults), None)
    counts = {
        state.lower(): sum(r.state == state for r in rows)
        for state in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
    }
    return StudySummary(
        name=study.study_name,
        family=family,
        metric=objective.metric,
        direction=objective.direction,
        target=target,
        rows=rows,
        best=best,
        defaults=defaults,
        pruning=pruning_report(rows),
        counts=counts,
    )


def pruning_report(rows: Sequence[TrialRow]) -> PruningReport:
    complete = [r for r in rows if r.state == "COMPLETE" and r.epochs > 0]
    pruned = [r for r in rows if r.state == "PRUNED"]
    if complete:
        per_epoch = sum(r.seconds for r in complete) / sum(r.epochs for r in complete)
        expected = sum(r.epochs for r in complete) / len(complete)
    else:
        per_epoch, expected = math.nan, math.nan
    not_run = sum(max(0.0, expected - r.epochs) for r in pruned) if complete else 0.0
    return PruningReport(
        pruned=len(pruned),
        epochs_run=sum(r.epochs for r in pruned),
        epochs_not_run=not_run,
        seconds_per_epoch=per_epoch,
        seconds_saved=not_run * per_epoch if complete else 0.0,
    )


def _row(trial: FrozenTrial) -> TrialRow:
    seconds = trial.duration.total_seconds() if trial.duration is not None else math.nan
    return TrialRow(
        number=trial.number,
        state=trial.state.name,
        value=trial.value if trial.state == TrialState.COMPLETE else None,
        params=space.decode_params(trial.params),
        epochs=len(trial.intermediate_values),
        seconds=seconds,
        defaults=bool(trial.user_attrs.get(DEFAULTS_ATTR)),
        error=str(trial.user_attrs.get(ERROR_ATTR, "")),
    )
