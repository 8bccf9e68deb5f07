"""The only module that talks to MLflow: runs, logged models and the model registry.

Runs go to an sqlite database and artifact folder inside the *origin* repository's mlruns/, so a
`dvc exp run --temp/--queue` (which works in a throw-away copy of the repo) still lands its runs
where `make ui` looks. `MLFLOW_TRACKING_URI`, when set, wins (a shared server).

Every experiment carries `mlflow.experimentKind=custom_model_development`, so the MLflow UI opens
it on its training-runs view. Every logged model carries the dlpipe package's source
(`code_paths`), so `mlflow models serve` imports its classes in a fresh process, and pinned
requirements, so MLflow never runs its slow requirement inference. Registered models are named
`dlpipe-<family>`; `load_registered_model` reads them back, after checking the version's files
against the sha256 pinned when it was registered (its model files are pickles). A URI's password
never reaches a log line, param or tag (`dlpipe.redact`).

A run records the process that opened it (tags `dlpipe.host`, `dlpipe.pid`,
`dlpipe.process_start`). It ends KILLED when the block is interrupted (Ctrl+C, SIGINT; SIGTERM
inside Lightning's fit) and FAILED when it raises. A SIGKILL ends nothing, so a stage's next
top-level run closes (KILLED, tag `dlpipe.closed_stale`) the RUNNING runs of that stage whose
process is gone, and their children.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

from dlpipe.distributed import Owner, global_rank, is_gone, this_process
from dlpipe.folder_digest import folder_sha256
from dlpipe.paths import mlruns_dir
from dlpipe.redact import has_secret, redact

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"  # the UI's training-runs view, not its GenAI view
PACKAGE_SOURCE = Path(__file__).resolve().parent  # dlpipe's source, carried by every logged model
DATABASE_NAME = "mlflow.db"
ARTIFACTS_NAME = "artifacts"
MAX_PARAM_LENGTH = 6000  # MLflow's limit on a param value
BATCH_SIZE = 1000  # MLflow's limit on metrics per log_batch call
PIN_TAG = "dlpipe.sha256"  # a registered version's files, checked before they are unpickled
OWNER_TAGS = ("dlpipe.host", "dlpipe.pid", "dlpipe.process_start")

# MLflow draws a tqdm bar on stderr whenever a model's artifacts are copied (logging a pyfunc
# model with artifact folders does): quiet by default in stage logs; a user may turn it back on.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@dataclass(frozen=True)
class TrackingLocation:
    """Where runs go: a tracking URI, and for the local store the artifact root to pin."""

    uri: str
    artifact_root: Path | None


def tracking_location(root: Path, create: bool = True) -> TrackingLocation:
    """The environment's MLFLOW_TRACKING_URI if set, else sqlite inside the origin's mlruns/
    (created unless `create` is false: a reader need not make it)."""
    env_uri = os.environ.get("MLFLOW_TRACKING_URI")
    if env_uri:
        _announce_env_uri(env_uri)
        return TrackingLocation(uri=env_uri, artifact_root=None)
    store = mlruns_dir(root)
    if create:
        store.mkdir(parents=True, exist_ok=True)
    return TrackingLocation(
        uri=f"sqlite:///{store / DATABASE_NAME}", artifact_root=store / ARTIFACTS_NAME
    )


@functools.cache
def _announce_env_uri(uri: str) -> None:
    """Say once per process where runs go, password masked. MLflow prints each run's link with
    the URI as given (password included) unless told not to: a URI with a secret turns it off."""
    if has_secret(uri):
        os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    log.info("MLflow tracking URI (MLFLOW_TRACKING_URI): %s", redact(uri))


def params_hash(params: Mapping[str, Any]) -> str:
    """A short, order-independent digest of a stage's parameters, to group identical runs."""
    blob = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested params -> MLflow's flat `a.b.c` keys with string values."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = str(list(value) if isinstance(value, tuple) else value)[:MAX_PARAM_LENGTH]
    return flat


def metric_key(name: str) -> str:
    """MLflow allows letters, digits and `_-. :/` in names: `precision@10` -> `precision_at_10`."""
    return re.sub(r"[^\w\-. :/]", "_", name.replace("@", "_at_"))


def registered_name(family: str) -> str:
    """The registry name of a family's chosen model: `dlpipe-<family>`."""
    return f"dlpipe-{family}"


def pinned_requirements(*distributions: str) -> list[str]:
    """`name==version` for each installed distribution: the lock's pins (a local version tag
    such as torch's `+cpu` dropped), so a logged model names exactly what it runs on."""
    return [f"{name}=={importlib.metadata.version(name).split('+')[0]}" for name in distributions]


class ModelIntegrityError(ValueError):
    """A registered model version whose files are not the ones pinned when it was registered."""


class ModelNotRegisteredError(LookupError):
    """No registered model of that name (or not that version) in the tracking store; `versions`
    lists the versions it does have."""

    def __init__(self, message: str, versions: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.versions = list(versions)


def git_commit(root: Path) -> str:
    """HEAD's commit (with `-dirty` when the tree has changes), or `unknown` outside git."""
    try:
        sha = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.strip()


class RunLogger:
    """One MLflow run: batched metrics, params, artifacts and models."""

    def __init__(self, client: MlflowClient, run_id: str, location: TrackingLocation) -> None:
        self.client = client
        self.run_id = run_id
        self.location = location

    def log_params(self, params: Mapping[str, Any]) -> None:
        items = [Param(k, redact(v)) for k, v in flatten(params).items()]
        for i in range(0, len(items), 100):  # MLflow accepts at most 100 params per batch
            self.client.log_batch(self.run_id, params=items[i : i + 100])

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        now = int(time.time() * 1000)
        self._log_batch([Metric(metric_key(k), float(v), now, step) for k, v in metrics.items()])

    def log_history(self, history: Mapping[str, Sequence[float]]) -> None:
        """Whole curves at once (one value per step), in as few calls as MLflow allows."""
        now = int(time.time() * 1000)
        self._log_batch(
            [
                Metric(metric_key(key), float(value), now, step)
                for key, values in history.items()
                for step, value in enumerate(values)
            ]
        )

    def _log_batch(self, metrics: list[Metric]) -> None:
        for i in range(0, len(metrics), BATCH_SIZE):
            self.client.log_batch(self.run_id, metrics=metrics[i : i + BATCH_SIZE])

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self.client.set_tag(self.run_id, key, redact(str(value)))

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifact(self.run_id, str(path), artifact_path)

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        """Every file in `folder` (not the folder itself) under `artifact_path`."""
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)

    def log_model(
        self,
        model: Any,
        input_example: Any,
        name: str = "model",
        registered_model_name: str | None = None,
    ) -> str | None:
        """A torch module as an MLflow PyTorch model; returns the registered version (or None).

        `input_example` (a small numpy batch) gives the model its signature. A batch of flat
        rows (2-D) gets a signature of that many unnamed double columns, so the served model
        takes `{"dataframe_split": {"data": [[...]]}}` rows of plain JSON numbers (a float32
        tensor signature, which MLflow's traced pt2 format requires, would refuse them); outputs
        are one float column per network output, and the module is pickled (dlpipe's source
        travels with it). Other examples keep MLflow's traced format. With
        `registered_model_name` the model becomes that registered model's next version.
        """
        import mlflow.pytorch
        import numpy as np
        import pandas as pd
        import torch

        network = model.cpu().eval()
        example = np.asarray(input_example)
        signature = None
        if example.ndim == 2:
            with torch.no_grad():
                output = network(torch.from_numpy(example.astype(np.float32))).numpy()
            signature = _row_signature(example.shape[1], output.reshape(len(output), -1).shape[1])
            input_example = pd.DataFrame(example.astype(np.float64))
        with (
            _active(self.run_id, self.location),
            _quiet(logging.getLogger("mlflow.pytorch")),
            warnings.catch_warnings(),
        ):
            # MLflow checks the example on a read-only array; torch warns, harmlessly.
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            info = mlflow.pytorch.log_model(
                network,
                name=name,
                input_example=input_example,
                signature=signature,
                # A traced (pt2) model takes float32 tensors only, not JSON rows.
                serialization_format="pickle" if signature is not None else None,
                pip_requirements=pinned_requirements("torch", "numpy", "pandas"),
                code_paths=[str(PACKAGE_SOURCE)],
                registered_model_name=registered_model_name,
            )
        return _pin_version(self.client, self.location, registered_model_name, _version(info))

    def log_pyfunc_model(
        self,
        python_model: Any,
        *,
        artifacts: Mapping[str, Path],
        input_example: pd.DataFrame,
        output_example: pd.DataFrame,
        requirements: Sequence[str],
        registered_model_name: str | None = None,
        optional_inputs: Sequence[str] = (),
        name: str = "model",
    ) -> str | None:
        """A `mlflow.pyfunc.PythonModel` with its artifact files; returns the registered version.

        The signature comes from `input_example` and `output_example` (what the model answered
        to it), so MLflow never calls the model to infer one; `optional_inputs` are input
        columns a request may leave out. `requirements` are pip lines (`pinned_requirements`).
        """
        import mlflow.pyfunc

        signature = _signature(input_example, output_example, optional_inputs)
        with _active(self.run_id, self.location), _quiet(logging.getLogger("mlflow.pyfunc")):
            info = mlflow.pyfunc.log_model(
                name=name,
                python_model=python_model,
                artifacts={key: str(path) for key, path in artifacts.items()},
                signature=signature,
                input_example=input_example,
                pip_requirements=list(requirements),
                code_paths=[str(PACKAGE_SOURCE)],
                registered_model_name=registered_model_name,
            )
        return _pin_version(self.client, self.location, registered_model_name, _version(info))

    def register_child_model(
        self, child: str, registered_model_name: str, name: str = "model"
    ) -> str | None:
        """Register, as the next version of `registered_model_name`, the model `name` that this
        run's child run `child` (its run name; the latest such child) logged."""
        experiment_id = self.client.get_run(self.run_id).info.experiment_id
        children = self.client.search_runs(
            [experiment_id],
            filter_string=(
                f"tags.`mlflow.parentRunId` = '{self.run_id}' AND attributes.run_name = '{child}'"
            ),
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if not children:
            raise LookupError(f"run {self.run_id} has no child run named {child!r}")
        child_id = children[0].info.run_id
        models = self.client.search_logged_models(
            [experiment_id], filter_string=f"source_run_id = '{child_id}' AND name = '{name}'"
        )
        if not models:
            raise LookupError(f"child run {child!r} ({child_id}) logged no model {name!r}")
        _ensure_registered_model(self.client, registered_model_name)
        version = self.client.create_model_version(
            registered_model_name,
            source=models[0].model_uri,
            run_id=child_id,
            model_id=models[0].model_id,
            tags={"dlpipe.chosen": child},
        )
        return _pin_version(self.client, self.location, registered_model_name, str(version.version))

    def lightning_logger(self) -> Any:
        """Lightning's MLFlowLogger writing into this run (not a new one)."""
        from lightning.pytorch.loggers import MLFlowLogger

        return MLFlowLogger(tracking_uri=self.location.uri, run_id=self.run_id, log_model=False)


class NullRunLogger(RunLogger):
    """What a DDP worker (a process that is not global rank zero) gets instead of a run.

    Every call does nothing and `lightning_logger()` is None, so the worker's Trainer logs
    nowhere and no run id reaches it; only rank zero talks to MLflow. A test checks that it
    overrides every public method of RunLogger.
    """

    def __init__(self) -> None:
        self.client = None  # type: ignore[assignment]
        self.run_id = ""
        self.location = None  # type: ignore[assignment]

    def log_params(self, params: Mapping[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        pass

    def log_history(self, history: Mapping[str, Sequence[float]]) -> None:
        pass

    def _log_batch(self, metrics: list[Metric]) -> None:
        pass

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        pass

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        pass

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        pass

    def log_model(
        self,
        model: Any,
        input_example: Any,
        name: str = "model",
        registered_model_name: str | None = None,
    ) -> str | None:
        return None

    def log_pyfunc_model(
        self,
        python_model: Any,
        *,
        artifacts: Mapping[str, Path],
        input_example: pd.DataFrame,
        output_example: pd.DataFrame,
        requirements: Sequence[str],
        registered_model_name: str | None = None,
        optional_inputs: Sequence[str] = (),
        name: str = "model",
    ) -> str | None:
        return None

    def register_child_model(
        self, child: str, registered_model_name: str, name: str = "model"
    ) -> str | None:
        return None

    def lightning_logger(self) -> Any:
        return None


def _row_signature(n_inputs: int, n_outputs: int) -> Any:
    """Unnamed columns, matched by position: doubles in, floats out."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, Schema

    return ModelSignature(
        inputs=Schema([ColSpec(DataType.double) for _ in range(n_inputs)]),
        outputs=Schema([ColSpec(DataType.float) for _ in range(n_outputs)]),
    )


def _signature(inputs: pd.DataFrame, outputs: pd.DataFrame, optional: Sequence[str]) -> Any:
    """infer_signature's, with the `optional` input columns marked not required."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types import ColSpec, Schema

    with warnings.catch_warnings():
        # Its advice on integer columns with missing values: ours (ids, counts) have none.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        inferred = infer_signature(inputs, outputs)
    unknown = set(optional) - set(inputs.columns)
    if unknown:
        raise ValueError(f"optional input column(s) {sorted(unknown)} are not in the example")
    columns = [
        ColSpec(spec.type, spec.name, required=spec.name not in optional)
        for spec in inferred.inputs.inputs
    ]
    return ModelSignature(inputs=Schema(columns), outputs=inferred.outputs)


class _PickleNotice(logging.Filter):
    """Drops MLflow's caution about pickled models: dlpipe pickles its own classes on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "exercising caution" not in record.getMessage()


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """`logger` without the pickle caution for the duration of the block."""
    notice = _PickleNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def _version(info: Any) -> str | None:
    version = getattr(info, "registered_model_version", None)
    return None if version is None else str(version)


def _ensure_registered_model(client: MlflowClient, name: str) -> None:
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        try:
            client.create_registered_model(name)
        except mlflow.exceptions.MlflowException:
            client.get_registered_model(name)  # another process created it in between


@contextmanager
def _active(run_id: str, location: TrackingLocation | None = None) -> Iterator[None]:
    """Make `run_id` the fluent API's active run for a call that only works through it."""
    if location is not None:
        mlflow.set_tracking_uri(location.uri)
    active = mlflow.active_run()
    if active is not None and active.info.run_id == run_id:
        yield
        return
    with mlflow.start_run(run_id=run_id, nested=active is not None):
        yield


@contextmanager
def start_run(
    root: Path,
    family: str,
    stage: str,
    params: Mapping[str, Any],
    run_name: str | None = None,
    parent: RunLogger | None = None,
) -> Iterator[RunLogger]:
    """A tracked run in the family's experiment; it ends KILLED if the block is interrupted
    (KeyboardInterrupt) and FAILED if it raises.

    Tags: git commit, DVC stage, params hash (and the DVC experiment name when DVC sets one), and
    the process that opened it. A top-level run first closes the stage's stale runs
    (`close_stale_runs`). A DDP worker (not global rank zero) opens no run: it gets a
    NullRunLogger.
    """
    if global_rank() != 0:
        yield NullRunLogger()
        return
    location = tracking_location(root)
    mlflow.set_tracking_uri(location.uri)
    client = MlflowClient(location.uri)
    experiment_id = _experiment_id(client, family, location)
    if parent is None:
        close_stale_runs(client, experiment_id, stage)
    owner = this_process()
    tags = {
        "dlpipe.family": family,
        "dlpipe.dvc_stage": stage,
        "dlpipe.params_hash": params_hash(params),
        "mlflow.source.git.commit": git_commit(root),
        **dict(zip(OWNER_TAGS, (owner.host, str(owner.pid), repr(owner.started)), strict=True)),
    }
    if os.environ.get("DVC_EXP_NAME"):
        tags["dlpipe.dvc_experiment"] = os.environ["DVC_EXP_NAME"]
    if parent is not None:
        tags["mlflow.parentRunId"] = parent.run_id
    run = client.create_run(experiment_id, run_name=run_name or stage, tags=tags)
    logger = RunLogger(client, run.info.run_id, location)
    try:
        logger.log_params(params)
        yield logger
    except BaseException as exc:
        client.set_tag(run.info.run_id, "dlpipe.error", _error_text(exc))
        client.set_terminated(run.info.run_id, status="KILLED" if interrupted(exc) else "FAILED")
        raise
    client.set_terminated(run.info.run_id, status="FINISHED")


def _error_text(exc: BaseException) -> str:
    """The `dlpipe.error` tag: the exception, redacted (MLflow's own errors name the URI).

    The stage runner turns bad input into `SystemExit(1)` after logging it (no traceback): the
    tag then names the error it replaced, which says what was wrong."""
    if isinstance(exc, SystemExit) and exc.__context__ is not None:
        exc = exc.__context__
    return redact(f"{type(exc).__name__}: {exc}")[:5000]


def interrupted(exc: BaseException) -> bool:
    """Ctrl+C (SIGINT): a KeyboardInterrupt, or the SystemExit that Lightning raises after one
    (its graceful shutdown inside `trainer.fit` ends with `sys.exit(1)`); SIGTERM during
    `trainer.fit`: Lightning's SIGTERMException (a SystemExit; told by name, so that this module
    needs no Lightning)."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    if not isinstance(exc, SystemExit):
        return False
    sigterm = any(cls.__name__ == "SIGTERMException" for cls in type(exc).__mro__)
    return sigterm or isinstance(exc.__context__, KeyboardInterrupt)


def close_stale_runs(client: MlflowClient, experiment_id: str, stage: str) -> list[str]:
    """Set KILLED the RUNNING runs of `stage` whose process is gone (a SIGKILL ended nothing),
    and their RUNNING child runs unless a live process owns them; returns their ids.

    Runs of live processes (a parallel tuning worker, another run of the stage) and of other
    hosts are left alone, as are runs without the owner tags (opened before they existed).
    """
    running = client.search_runs(
        [experiment_id],
        filter_string=f"attributes.status = 'RUNNING' AND tags.`dlpipe.dvc_stage` = '{stage}'",
        max_results=1000,
    )
    stale = [run for run in running if _owner_is_gone(run.data.tags) is True]
    closed: list[str] = []
    while stale:
        run = stale.pop()
        if run.info.run_id in closed:
            continue
        owner = _owner(run.data.tags)
        client.set_tag(
            run.info.run_id,
            "dlpipe.closed_stale",
            f"process {owner.pid if owner else '?'} on {owner.host if owner else '?'} is gone "
            f"(killed); closed when the stage ran again (pid {os.getpid()})",
        )
        client.set_terminated(run.info.run_id, status="KILLED")
        closed.append(run.info.run_id)
        children = client.search_runs(
            [experiment_id],
            filter_string=(
                f"attributes.status = 'RUNNING' AND tags.`mlflow.parentRunId` = '{run.info.run_id}'"
            ),
            max_results=1000,
        )
        stale.extend(child for child in children if _owner_is_gone(child.data.tags) is not False)
    if closed:
        log.warning(
            "closed %d stale RUNNING run(s) of %s (process gone): KILLED", len(closed), stage
        )
    return closed


def _owner(tags: Mapping[str, str]) -> Owner | None:
    if not all(key in tags for key in OWNER_TAGS):
        return None
    host, pid, started = (tags[key] for key in OWNER_TAGS)
    try:
        return Owner(host=host, pid=int(pid), started=float(started))
    except ValueError:
        return None


def _owner_is_gone(tags: Mapping[str, str]) -> bool | None:
    """True/False for a run with owner tags; None when it has none."""
    owner = _owner(tags)
    return None if owner is None else is_gone(owner)


def attach_run(root: Path, run_id: str) -> RunLogger:
    """A logger for run `run_id`, which another process opened (a tuning worker's parent run:
    its trials become that run's children through `start_run(..., parent=...)`)."""
    location = tracking_location(root)
    return RunLogger(MlflowClient(location.uri), run_id, location)


def _experiment_id(client: MlflowClient, family: str, location: TrackingLocation) -> str:
    """The family's experiment, created when missing; tagged with its kind either way."""
    experiment = client.get_experiment_by_name(family)
    if experiment is None:
        artifact_location = None
        if location.artifact_root is not None:
            artifact_location = (location.artifact_root / family).as_uri()
        try:
            return client.create_experiment(
                family,
                artifact_location=artifact_location,
                tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND},
            )
        except mlflow.exceptions.MlflowException:
            # Another process created it between our lookup and create.
            experiment = client.get_experiment_by_name(family)
            if experiment is None:
                raise
    if EXPERIMENT_KIND_TAG not in experiment.tags:
        client.set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
    return experiment.experiment_id


def load_registered_model(root: Path, name: str, version: int | None = None) -> tuple[Any, str]:
    """(the pyfunc model, its version) of registered model `name`: its latest version (the
    highest number, what `models:/NAME/latest` names) or `version`.

    The store is the project's (`tracking_location`). ModelNotRegisteredError when the model or
    that version does not exist; a missing local database is not created. ModelIntegrityError
    when the version's files are not the ones pinned at registration: nothing is unpickled then.
    """
    import mlflow.pyfunc

    folder, number = verified_model_folder(root, name, version)
    return mlflow.pyfunc.load_model(str(folder)), number


def verified_model_folder(root: Path, name: str, version: int | None = None) -> tuple[Path, str]:
    """(a local copy of the version's files, checked against its PIN_TAG; the version), for
    `load_registered_model` and for `make serve` (`mlflow models serve -m FOLDER`)."""
    location = tracking_location(root, create=False)
    versions: list[int] = []
    if _store_exists(location.uri):
        client = MlflowClient(location.uri)
        found = client.search_model_versions(f"name = '{name}'")
        versions = sorted(int(v.version) for v in found if v.name == name)
    if not versions:
        raise ModelNotRegisteredError(f"no registered model {name} yet")
    if version is None:
        version = versions[-1]
    elif version not in versions:
        raise ModelNotRegisteredError(
            f"registered model {name} has no version {version} (it has {_ranges(versions)})",
            versions,
        )
    mlflow.set_tracking_uri(location.uri)
    return _verified_model_folder(location, name, str(version)), str(version)


@dataclass(frozen=True)
class StageRun:
    """What the comparison report shows of one DVC stage's run: where to open it, how long it
    took and the dlpipe tags it carries (`dlpipe.skipped`, `dlpipe.best_model`, ...)."""

    stage: str
    run_id: str
    experiment_id: str
    status: str
    start_ms: int
    end_ms: int | None
    tags: Mapping[str, str]

    @property
    def seconds(self) -> float | None:
        """Wall time from start to end; None while the run has no end."""
        return None if self.end_ms is None else (self.end_ms - self.start_ms) / 1000


def latest_stage_runs(root: Path) -> dict[str, StageRun]:
    """The latest FINISHED top-level run of each DVC stage (tag `dlpipe.dvc_stage`), by stage.

    Child runs (a model inside a stage, a trial) are left out: a stage's time and its figures
    belong to the run that the stage runner opened. Reads the project's store
    (`tracking_location`); a missing local database gives {} and is not created.
    """
    location = tracking_location(root, create=False)
    if not _store_exists(location.uri):
        return {}
    client = MlflowClient(location.uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    latest: dict[str, StageRun] = {}
    token: str | None = None
    while experiments:
        page = client.search_runs(
            experiments,
            filter_string="attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1000,
            page_token=token,
        )
        for run in page:
            tags = run.data.tags
            stage = tags.get("dlpipe.dvc_stage")
            if stage is None or "mlflow.parentRunId" in tags or stage in latest:
                continue
            latest[stage] = StageRun(
                stage=stage,
                run_id=run.info.run_id,
                experiment_id=run.info.experiment_id,
                status=run.info.status,
                start_ms=run.info.start_time,
                end_ms=run.info.end_time,
                tags={k: v for k, v in tags.items() if k.startswith("dlpipe.")},
            )
        token = page.token
        if not token:
            break
    return latest


def _pin_version(
    client: MlflowClient, location: TrackingLocation, name: str | None, version: str | None
) -> str | None:
    """Tag a new registered version with the sha256 of its files (PIN_TAG); returns `version`.
    Its model files are pickles: `load_registered_model` unpickles nothing that differs."""
    if name is None or version is None:
        return version
    folder = _download_model(location, name, version)
    try:
        client.set_model_version_tag(name, version, PIN_TAG, folder_sha256(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return version


def _verified_model_folder(location: TrackingLocation, name: str, version: str) -> Path:
    """The version's files, downloaded and checked against PIN_TAG before anything loads them.
    The folder is kept: MLflow imports the model's code from it."""
    pinned = MlflowClient(location.uri).get_model_version(name, version).tags.get(PIN_TAG)
    redo = "rerun the stage that registers it (`make repro`) to register a pinned version"
    if pinned is None:
        raise ModelIntegrityError(
            f"registered model {name} version {version} has no {PIN_TAG} tag (registered by "
            f"hand or by an older dlpipe); refusing to unpickle it: {redo}"
        )
    folder = _download_model(location, name, version)
    actual = folder_sha256(folder)
    if actual != pinned:
        shutil.rmtree(folder, ignore_errors=True)
        raise ModelIntegrityError(
            f"registered model {name} version {version}: its files have sha256 {actual}, not "
            f"the {pinned} pinned when it was registered; refusing to unpickle them: {redo}"
        )
    return folder


def _download_model(location: TrackingLocation, name: str, version: str) -> Path:
    import mlflow.artifacts

    target = tempfile.mkdtemp(prefix="dlpipe-model-")
    return Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{version}", dst_path=target, tracking_uri=location.uri
        )
    )


def _store_exists(uri: str) -> bool:
    """False only for a local sqlite database that is not there (reading would create it)."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return True
    return Path(uri.removeprefix(prefix).split("?")[0]).is_file()


def _ranges(versions: list[int]) -> str:
    if len(versions) == 1:
        return f"version {versions[0]}"
    return f"versions {versions[0]} to {versions[-1]}"
