"""Running a family's study: in this process, or in N worker processes sharing its trials.

The coordinator (`tune`) opens the study, fails stale trials, enqueues the defaults trial of a
new study and counts the missing trials; N workers (spawned processes, each with its own
storage handle, data and TPE seed) then run those trials between them, `missing // N` each
(the first `missing % N` one more), so none is run twice and, unless a worker's time budget
runs out, none is missing. Trial numbers come from the storage, which hands each one out once.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlpipe.config import Params, as_plain, build, load_params
from dlpipe.stage import configure_logging
from dlpipe.tracking import RunLogger, attach_run, start_run
from dlpipe.tuning.objectives import OBJECTIVES
from dlpipe.tuning.study import (
    StudySummary,
    TrialContext,
    open_study,
    prepare,
    run_trials,
    summarize,
)

log = logging.getLogger(__name__)


def shares(missing: int, workers: int) -> list[int]:
    """`missing` trials split between `workers` as evenly as possible (no zero shares)."""
    base, extra = divmod(missing, workers)
    return [n for n in (base + (i < extra) for i in range(workers)) if n > 0]


def tune(
    root: Path,
    params: Params,
    family: str,
    *,
    workers: int = 1,
    trials: int | None = None,
    parent: RunLogger | None = None,
    stage: str = "tune",
) -> StudySummary:
    """Run the trials missing from `trials` (default: the family's `tuning` count) and return
    the study's summary; `parent` is the MLflow run the trials nest under."""
    spec = params.tuning.families[family]
    target = trials or spec.trials
    study = open_study(root, params, family)
    missing = prepare(study, params, family, target)
    log.info(
        "tune %s: study %s, %d of %d trials to run (%d worker(s), at most %g s)",
        family,
        study.study_name,
        missing,
        target,
        min(workers, max(missing, 1)),
        spec.timeout_s,
    )
    deadline = time.time() + spec.timeout_s
    context = TrialContext(root=root, stage=stage, parent=parent, total=target)
    if missing and workers <= 1:
        data = OBJECTIVES[family].load(params, root)
        run_trials(study, params, family, data, missing, deadline, context)
    elif missing:
        jobs = [
            WorkerJob(
                root=root,
                params=as_plain(params),
                family=family,
                count=count,
                worker=i,
                deadline=deadline,
                parent_run=parent.run_id if parent is not None else None,
                stage=stage,
                total=target,
                log_level=logging.getLogger().getEffectiveLevel(),
            )
            for i, count in enumerate(shares(missing, workers))
        ]
        context_mp = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(len(jobs), mp_context=context_mp) as pool:
            list(pool.map(run_worker, jobs))
    return summarize(open_study(root, params, family), family, target)


@dataclass(frozen=True)
class WorkerJob:
    """What one worker process needs (plain values: it is pickled to a spawned process)."""

    root: Path
    params: dict[str, Any]
    family: str
    count: int
    worker: int
    deadline: float
    parent_run: str | None
    stage: str
    total: int
    log_level: int


def run_worker(job: WorkerJob) -> int:
    """A worker process: its own storage handle, sampler seed and data; returns trials run."""
    configure_logging(job.log_level)  # progress lines; Lightning's and MLflow's only when they warn
    params = build(Params, job.params, "params")
    study = open_study(job.root, params, job.family, worker=job.worker)
    parent = attach_run(job.root, job.parent_run) if job.parent_run else None
    context = TrialContext(root=job.root, stage=job.stage, parent=parent, total=job.total)
    data = OBJECTIVES[job.family].load(params, job.root)
    done = run_trials(study, params, job.family, data, job.count, job.deadline, context)
    return len(done)


def tune_command(root: Path, family: str, workers: int, trials: int | None) -> StudySummary:
    """`dlpipe tune`: params.yaml's study for `family`, its trials as a nested MLflow run under
    one run of its own (the DVC stage's outputs are not written)."""
    configure_logging(logging.getLogger().getEffectiveLevel())  # Lightning's INFO lines off
    params = load_params(root / "params.yaml")
    spec = params.tuning.families[family]
    logged = {"family": family, "workers": workers, "trials": trials or spec.trials}
    with start_run(root, family, "dlpipe tune", logged, run_name=f"tune {family}") as run:
        summary = tune(
            root, params, family, workers=workers, trials=trials, parent=run, stage="dlpipe tune"
        )
        run.set_tags({"optuna.study": summary.name})
        if summary.best is not None and summary.best.value is not None:
            run.log_metrics({f"best/val/{summary.metric}": summary.best.value})
    return summary
