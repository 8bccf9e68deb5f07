"""The stage runner: what every DVC stage repeats, in one place.

A stage script declares a `StageSpec` (its name, family, the params it depends on and every path
it writes) and hands one function of `dlpipe.families` to `run_stage`. The runner loads params,
opens the family's MLflow run (tagged, FAILED when the stage raises), gives the body a temporary
location for each declared output, and moves them all into place only when the body returns or
skips: an interrupted stage leaves the previous outputs untouched. Declared report files are then
logged to the run as artifacts. It is a helper, not a framework: the body still reads its inputs
and calls its own writers.

Interrupted runs (docs/operations.md, "Interrupted runs"): a temporary output is named after the
process that writes it (`.<name>.<pid>-<start ms>@<host>.<random>.tmp`), so the next run removes
the ones whose writer is gone (a SIGKILL leaves them). While the body runs, `resume_scope()`
tells the fit routine where to keep checkpoints that survive a kill, keyed by the stage, its
params and dlpipe's source; a rerun resumes from them, and they are removed once the stage
commits.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dlpipe import paths, redact
from dlpipe.atomic import make_readable, write_json
from dlpipe.config import Params, as_plain, load_params
from dlpipe.distributed import Owner, global_rank, is_gone, leave_process_group, this_process
from dlpipe.errors import InputError
from dlpipe.tracking import NullRunLogger, RunLogger, params_hash, start_run

log = logging.getLogger("dlpipe.stage")

PACKAGE = Path(__file__).resolve().parent  # dlpipe's source: part of the resume key
TEMPORARY = re.compile(r"\.(?P<pid>\d+)-(?P<started>\d+)@(?P<host>.+)\.[^.]+\.tmp")

QUIET_LOGGERS = (
    "lightning.pytorch",
    "lightning.fabric",
    "pytorch_lightning",
    "mlflow",
    "alembic",
    "scrapy",  # one DEBUG line per request and per item otherwise
)


class Skipped(Exception):
    """Raised by a stage body when there is nothing to work on (its outputs say why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StageSpec:
    """What a DVC stage reads from params.yaml and writes; mirrors its dvc.yaml entry.

    `outputs` are repo-relative; a trailing "/" marks a folder. `tracked`: open an MLflow run.
    """

    name: str
    family: str
    params: tuple[str, ...]
    outputs: tuple[str, ...]
    tracked: bool = True

    def output_paths(self) -> tuple[str, ...]:
        """The outputs as dvc.yaml names them (no trailing slash)."""
        return tuple(out.rstrip("/") for out in self.outputs)


@dataclass
class Stage:
    """What a stage body gets: params, the repo root, its MLflow run and its output locations."""

    spec: StageSpec
    params: Params
    root: Path
    run: RunLogger | None
    staged: dict[str, Path] = field(default_factory=dict)
    owner: Owner = field(default_factory=this_process)

    def path(self, relative: str) -> Path:
        """An input of the stage (another stage's output), under the repo root."""
        return self.root / relative

    def data_path(self, value: str) -> Path:
        """A data location named in params (see `paths.data_path`: also beside a clone)."""
        return paths.data_path(self.root, value)

    def out(self, relative: str) -> Path:
        """The temporary place to write declared output `relative`; moved into place at the end.

        A folder output is created empty; a file output is a path the body writes to.
        """
        declared = {out.rstrip("/"): out for out in self.spec.outputs}
        key = relative.rstrip("/")
        if key not in declared:
            raise KeyError(
                f"stage {self.spec.name}: {relative!r} is not a declared output "
                f"(declared: {list(declared)}); add it to the StageSpec and dvc.yaml"
            )
        if key not in self.staged:
            target = self.root / key
            target.parent.mkdir(parents=True, exist_ok=True)
            owner = f"{self.owner.pid}-{round(self.owner.started * 1000)}@{self.owner.host}"
            tmp = Path(
                tempfile.mkdtemp(
                    prefix=f".{target.name}.{owner}.", suffix=".tmp", dir=target.parent
                )
            )
            self.staged[key] = tmp if declared[key].endswith("/") else tmp / target.name
        return self.staged[key]

    def write_headline(self, relative: str, values: Mapping[str, float]) -> None:
        """The family's headline numbers: the DVC metrics file `relative` and the stage's run."""
        write_json(self.out(relative), dict(values))
        if self.run is not None:
            self.run.log_metrics(values)

    def tracked_params(self) -> dict[str, Any]:
        """The params sections this stage depends on, as plain values (for MLflow)."""
        return {key: as_plain(lookup(self.params, key)) for key in self.spec.params}


class ResumeScope:
    """Where the fits of a running stage keep checkpoints that outlive a kill.

    `folder` is `.dlpipe/checkpoints/<stage>/<key>` (worked out when a fit first asks); a fit
    whose checkpoint folder lies inside a staged folder output gets the twin
    `folder/<output>/<path inside it>`, the same in every run (and on every DDP rank). Anywhere
    else (a tuning trial's temporary folder) it gets none.
    """

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.claimed: set[Path] = set()

    @cached_property
    def folder(self) -> Path:
        return resume_folder(self.stage)

    def folder_for(self, checkpoint_dir: Path) -> tuple[Path | None, bool]:
        """(the persistent folder for `checkpoint_dir` or None, whether this run has not used
        that folder before: a second fit into the same folder must not resume the first)."""
        wanted = checkpoint_dir.resolve()
        for out, staged in self.stage.staged.items():
            if wanted.is_relative_to(staged.resolve()):
                folder = self.folder / out / wanted.relative_to(staged.resolve())
                first = folder not in self.claimed
                self.claimed.add(folder)
                return folder, first
        return None, False


_RESUME: ContextVar[ResumeScope | None] = ContextVar("dlpipe_resume_scope", default=None)


def resume_scope() -> ResumeScope | None:
    """The running stage's resume scope; None outside `run_stage` (tests, benchmarks, tuning's
    own folders)."""
    return _RESUME.get()


@contextmanager
def _resumable(stage: Stage) -> Iterator[ResumeScope]:
    """Inside the block, `resume_scope()` is the stage's (a context variable, not module state)."""
    scope = ResumeScope(stage)
    token = _RESUME.set(scope)
    try:
        yield scope
    finally:
        _RESUME.reset(token)


def resume_folder(stage: Stage) -> Path:
    """`.dlpipe/checkpoints/<stage>/<key>`: the key hashes what makes a checkpoint useless when
    it changes: the stage's params (the seed among them) and dlpipe's source."""
    key = params_hash({"params": stage.tracked_params(), "code": source_digest()})
    return paths.checkpoints_dir(stage.root) / stage.spec.name / key


def source_digest(package: Path = PACKAGE) -> str:
    """A digest of every .py file of `package` (names and contents)."""
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*.py")):
        digest.update(file.relative_to(package).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def lookup(params: Params, dotted: str) -> Any:
    """`face_split.source` -> params.face_split.source."""
    value: Any = params
    for part in dotted.split("."):
        value = value[part] if isinstance(value, Mapping) else getattr(value, part)
    return value


def run_stage(spec: StageSpec, body: Callable[[Stage], None]) -> None:
    """Run `body` as DVC stage `spec.name`; see the module docstring for what it owns.

    Under DDP every process runs the body (each takes part in `trainer.fit`), but only global
    rank zero opens the MLflow run and commits the outputs; the others (the copies of the script
    that Lightning's launcher, torchrun or srun started, told apart by the environment before
    any Trainer exists) log only warnings and drop their temporary outputs. Rank zero commits
    once every rank has finished its body (docs/operations.md).
    """
    rank = global_rank()
    configure_logging(logging.INFO if rank == 0 else logging.WARNING)
    root = paths.project_root()
    stage = Stage(spec=spec, params=load_params(), root=root, run=None)
    log.info("%s: starting", spec.name)
    if rank == 0:
        remove_stale_temporaries(spec, root)
    with ExitStack() as stack:
        stack.callback(_discard, stage.staged)
        stack.enter_context(_resumable(stage))
        if spec.tracked and rank != 0:
            stage.run = NullRunLogger()  # a DDP worker: no MLflow run, every call does nothing
        elif spec.tracked:
            stage.run = stack.enter_context(
                start_run(root, spec.family, spec.name, stage.tracked_params())
            )
        try:
            body(stage)
        except Skipped as skip:
            log.warning("%s: skipped: %s", spec.name, skip.reason)
            if stage.run is not None:
                stage.run.set_tags({"dlpipe.skipped": skip.reason})
        except InputError as exc:
            # Bad input: the message names the file, the row and the fix; no traceback buries it.
            # The MLflow run ends FAILED and no output is committed, as for any failure.
            log.error("%s: %s", spec.name, exc)
            raise SystemExit(1) from None
        if rank != 0:
            _discard(stage.staged)  # a DDP worker's outputs duplicate rank zero's
        leave_process_group()  # under DDP: every rank is done (no-op otherwise)
        if rank == 0:
            _commit(stage)
            # Committed: nothing is left to resume (keys of other params included).
            shutil.rmtree(paths.checkpoints_dir(root) / spec.name, ignore_errors=True)
            if stage.run is not None:
                _log_artifacts(stage.run, spec, root)
    log.info("%s: done", spec.name)


def configure_logging(level: int = logging.INFO) -> None:
    """Progress lines from dlpipe; libraries only when they warn."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # Lightning 2.6 on torch 2.13 warns about its own pytree use at every fit: not ours to fix.
    warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")
    # A resumed fit writes into its kept checkpoint folder on purpose (dlpipe.training.resume).
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
    # Lightning sets levels on its own child loggers (`...utilities.rank_zero`) when imported,
    # which a parent's level does not override: quiet every one that exists, and the parents.
    existing = [name for name in logging.root.manager.loggerDict if name.startswith(QUIET_LOGGERS)]
    for name in (*QUIET_LOGGERS, *existing):
        logging.getLogger(name).setLevel(logging.WARNING)
    # A library imported later sets its levels again (mlflow.pytorch imports pytorch_lightning,
    # which turns its tips back on): the handlers drop those records whatever the levels say.
    for handler in logging.root.handlers:
        if not any(isinstance(f, _QuietLibraries) for f in handler.filters):
            handler.addFilter(_QuietLibraries())
    redact.install(logging.root.handlers)  # no password of a tracking URI in a log or traceback


class _QuietLibraries(logging.Filter):
    """Drops records below WARNING from the QUIET_LOGGERS libraries."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(QUIET_LOGGERS)


def _commit(stage: Stage) -> None:
    """Every declared output must have been written; then each replaces its old version."""
    missing = [
        out
        for out in stage.spec.output_paths()
        if out not in stage.staged or not stage.staged[out].exists()
    ]
    if missing:
        raise RuntimeError(
            f"stage {stage.spec.name} did not write its declared output(s) {missing}: "
            "write them through stage.out(...) (also on the skipped path)"
        )
    for out, staged in stage.staged.items():
        target = stage.root / out
        make_readable(staged)
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(staged, target)


def remove_stale_temporaries(spec: StageSpec, root: Path) -> list[Path]:
    """Remove the temporary outputs of `spec` (`.<name>.*.tmp` beside a declared output) whose
    writer is gone, as a SIGKILL leaves them; those of live processes (another run of the stage,
    another DDP rank) and of other hosts stay. Returns what was removed."""
    removed = []
    for out in spec.output_paths():
        target = root / out
        if not target.parent.is_dir():
            continue
        for candidate in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            found = TEMPORARY.fullmatch(candidate.name.removeprefix(f".{target.name}"))
            if found is None:
                continue
            owner = Owner(
                host=found["host"], pid=int(found["pid"]), started=int(found["started"]) / 1000
            )
            if is_gone(owner):
                shutil.rmtree(candidate, ignore_errors=True)
                removed.append(candidate)
    if removed:
        log.info(
            "%s: removed %d stale temporary output(s) of a killed run", spec.name, len(removed)
        )
    return removed


def _discard(staged: Mapping[str, Path]) -> None:
    """Remove what is left of the temporary folders (all of them after a failure)."""
    for path in staged.values():
        folder = path if path.name.endswith(".tmp") else path.parent
        shutil.rmtree(folder, ignore_errors=True)


def _log_artifacts(run: RunLogger, spec: StageSpec, root: Path) -> None:
    """Reports go to the run whole; model folders only by their top-level files."""
    for out in spec.output_paths():
        path = root / out
        parent = Path(out).parent.as_posix()
        if out.startswith("reports/"):
            if path.is_dir():
                run.log_artifacts(path, out.removeprefix("reports/"))
            else:
                run.log_artifact(path, parent.removeprefix("reports").lstrip("/") or None)
        elif out.startswith("models/") and path.is_dir():
            for file in sorted(p for p in path.iterdir() if p.is_file()):
                run.log_artifact(file, "model")


@contextmanager
def temporary_stage(spec: StageSpec, params: Params, root: Path) -> Iterator[Stage]:
    """A Stage without MLflow, for tests and benchmarks that call a body directly."""
    stage = Stage(spec=spec, params=params, root=root, run=None)
    try:
        yield stage
        _commit(stage)
    finally:
        _discard(stage.staged)
