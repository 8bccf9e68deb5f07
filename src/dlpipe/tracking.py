"""The only module that talks to MLflow.

Runs go to an sqlite database and artifact folder inside the *origin* repository's mlruns/, so a
`dvc exp run --temp/--queue` (which works in a throw-away copy of the repo) still lands its runs
where `make ui` looks. `MLFLOW_TRACKING_URI`, when set, wins (a shared server).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

from dlpipe.paths import mlruns_dir

DATABASE_NAME = "mlflow.db"
ARTIFACTS_NAME = "artifacts"
MAX_PARAM_LENGTH = 6000  # MLflow's limit on a param value
BATCH_SIZE = 1000  # MLflow's limit on metrics per log_batch call


@dataclass(frozen=True)
class TrackingLocation:
    """Where runs go: a tracking URI, and for the local store the artifact root to pin."""

    uri: str
    artifact_root: Path | None


def tracking_location(root: Path) -> TrackingLocation:
    """The environment's MLFLOW_TRACKING_URI if set, else sqlite inside the origin's mlruns/."""
    env_uri = os.environ.get("MLFLOW_TRACKING_URI")
    if env_uri:
        return TrackingLocation(uri=env_uri, artifact_root=None)
    store = mlruns_dir(root)
    store.mkdir(parents=True, exist_ok=True)
    return TrackingLocation(
        uri=f"sqlite:///{store / DATABASE_NAME}", artifact_root=store / ARTIFACTS_NAME
    )


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
        items = [Param(k, v) for k, v in flatten(params).items()]
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
            self.client.set_tag(self.run_id, key, str(value))

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifact(self.run_id, str(path), artifact_path)

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        """Every file in `folder` (not the folder itself) under `artifact_path`."""
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)

    def log_model(self, model: Any, input_example: Any, name: str = "model") -> None:
        """A torch module as an MLflow PyTorch model.

        `input_example` (a small numpy batch) gives the model its signature and is what MLflow's
        default traced format needs; requirements are pinned to skip MLflow's slow inference.
        """
        import mlflow.pytorch
        import torch

        with _active(self.run_id):
            mlflow.pytorch.log_model(
                model.cpu().eval(),
                name=name,
                input_example=input_example,
                pip_requirements=[f"torch=={torch.__version__.split('+')[0]}"],
            )

    def lightning_logger(self) -> Any:
        """Lightning's MLFlowLogger writing into this run (not a new one)."""
        from lightning.pytorch.loggers import MLFlowLogger

        return MLFlowLogger(tracking_uri=self.location.uri, run_id=self.run_id, log_model=False)


@contextmanager
def _active(run_id: str) -> Iterator[None]:
    """Make `run_id` the fluent API's active run for a call that only works through it."""
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
    """A tracked run in the family's experiment; it ends FAILED if the block raises.

    Tags: git commit, DVC stage, params hash (and the DVC experiment name when DVC sets one).
    """
    location = tracking_location(root)
    mlflow.set_tracking_uri(location.uri)
    client = MlflowClient(location.uri)
    experiment_id = _experiment_id(client, family, location)
    tags = {
        "dlpipe.family": family,
        "dlpipe.dvc_stage": stage,
        "dlpipe.params_hash": params_hash(params),
        "mlflow.source.git.commit": git_commit(root),
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
        client.set_tag(run.info.run_id, "dlpipe.error", f"{type(exc).__name__}: {exc}"[:5000])
        client.set_terminated(run.info.run_id, status="FAILED")
        raise
    client.set_terminated(run.info.run_id, status="FINISHED")


def _experiment_id(client: MlflowClient, family: str, location: TrackingLocation) -> str:
    experiment = client.get_experiment_by_name(family)
    if experiment is not None:
        return experiment.experiment_id
    artifact_location = None
    if location.artifact_root is not None:
        artifact_location = (location.artifact_root / family).as_uri()
    try:
        return client.create_experiment(family, artifact_location=artifact_location)
    except mlflow.exceptions.MlflowException:
        # Another process created it between our lookup and create.
        experiment = client.get_experiment_by_name(family)
        if experiment is None:
            raise
        return experiment.experiment_id
