"""What a killed stage leaves behind is cleaned up by its next run, and only that.

A SIGKILL ends no MLflow run and removes no temporary output; the next run of the stage closes
the stage's RUNNING runs (and their children) whose process is gone, and removes the stage's
temporary outputs whose writer is gone. Runs and folders of live processes, of other hosts and
of other stages are left alone. An interrupted block (Ctrl+C) ends its run KILLED. Real MLflow
(sqlite), real processes (a `sleep` that is killed, for a pid that is surely gone).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from mlflow.tracking import MlflowClient

from dlpipe.config import load_params
from dlpipe.distributed import Owner, this_process
from dlpipe.stage import Stage, StageSpec, remove_stale_temporaries
from dlpipe.tracking import OWNER_TAGS, start_run, tracking_location

REPO = Path(__file__).resolve().parents[1]
STAGE = "train_demo"


@pytest.fixture(scope="module")
def dead() -> Owner:
    """A process of this host that is gone (started, killed and reaped)."""
    sleeper = subprocess.Popen(["sleep", "60"])
    owner = Owner(socket.gethostname(), sleeper.pid, psutil.Process(sleeper.pid).create_time())
    sleeper.kill()
    sleeper.wait()
    return owner


def _tags(owner: Owner, stage: str = STAGE) -> dict[str, str]:
    return {
        "dlpipe.dvc_stage": stage,
        **dict(zip(OWNER_TAGS, (owner.host, str(owner.pid), repr(owner.started)), strict=True)),
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One scratch project (and MLflow store: creating one takes seconds) for the module."""
    root = tmp_path_factory.mktemp("project")
    (root / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield root


def test_the_next_run_closes_the_stale_runs_of_its_stage_only(project: Path, dead: Owner) -> None:
    location = tracking_location(project)
    client = MlflowClient(location.uri)
    with start_run(project, "demo", "make_experiment", {}):
        pass
    experiment = client.get_experiment_by_name("demo").experiment_id
    me = this_process()
    elsewhere = Owner("another-host.example", dead.pid, dead.started)

    def running(name: str, tags: dict[str, str]) -> str:
        return client.create_run(experiment, run_name=name, tags=tags).info.run_id

    killed = running("killed", _tags(dead))
    ids = {
        "killed": killed,
        "its child": running("its child", {"mlflow.parentRunId": killed}),
        "its live child": running("its live child", {"mlflow.parentRunId": killed, **_tags(me)}),
        "live worker": running("live worker", _tags(me)),
        "other host": running("other host", _tags(elsewhere)),
        "other stage": running("other stage", _tags(dead, "train_other")),
        "untagged": running("untagged", {"dlpipe.dvc_stage": STAGE}),
    }
    finished = running("finished", _tags(dead))
    client.set_terminated(finished, status="FINISHED")

    with start_run(project, "demo", STAGE, {"seed": 1}) as run:
        new = client.get_run(run.run_id)
        assert new.data.tags["dlpipe.pid"] == str(me.pid)
        assert new.data.tags["dlpipe.host"] == me.host

    status = {name: client.get_run(run_id).info.status for name, run_id in ids.items()}
    assert status == {
        "killed": "KILLED",
        "its child": "KILLED",
        "its live child": "RUNNING",
        "live worker": "RUNNING",
        "other host": "RUNNING",
        "other stage": "RUNNING",
        "untagged": "RUNNING",
    }
    assert client.get_run(finished).info.status == "FINISHED"
    reason = client.get_run(killed).data.tags["dlpipe.closed_stale"]
    assert f"process {dead.pid} on {dead.host} is gone" in reason


def _interrupt_as_lightning_does() -> None:
    """Lightning's graceful shutdown: KeyboardInterrupt caught inside fit, then sys.exit(1)."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        sys.exit(1)


def _ctrl_c() -> None:
    raise KeyboardInterrupt


def _fail() -> None:
    raise ValueError("bad value")


def _sigterm_in_fit() -> None:
    """SIGTERM while Lightning trains: it raises its SIGTERMException at the next batch."""
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    raise SIGTERMException


@pytest.mark.parametrize(
    ("body", "raised", "status"),
    [
        (_ctrl_c, KeyboardInterrupt, "KILLED"),
        (_interrupt_as_lightning_does, SystemExit, "KILLED"),
        (_sigterm_in_fit, SystemExit, "KILLED"),
        (_fail, ValueError, "FAILED"),
    ],
)
def test_an_interrupted_run_ends_killed_and_a_failed_one_failed(
    project: Path, body, raised: type[BaseException], status: str
) -> None:
    stage = f"interrupt_{body.__name__}"
    with pytest.raises(raised), start_run(project, "demo", stage, {}) as run:  # noqa: SIM117
        with start_run(project, "demo", stage, {}, "child", parent=run) as child:
            body()
    client = MlflowClient(tracking_location(project).uri)
    assert client.get_run(run.run_id).info.status == status
    assert client.get_run(child.run_id).info.status == status


def _temporary(folder: Path, name: str, owner: Owner, host: str | None = None) -> Path:
    tag = f"{owner.pid}-{round(owner.started * 1000)}@{host or owner.host}"
    path = folder / f".{name}.{tag}.k2x9_q1z.tmp"
    path.mkdir(parents=True)
    return path


def test_only_temporary_outputs_of_gone_writers_are_removed(tmp_path: Path, dead: Owner) -> None:
    project = tmp_path
    spec = StageSpec(STAGE, "demo", ("seed",), ("models/demo/", "reports/demo/metrics.json"))
    params = load_params(REPO / "params.yaml")
    # Written through the stage runner's own naming, by a writer that is gone.
    killed_writer = Stage(spec, params, project, None, owner=dead)
    (killed_writer.out("models/demo") / "half.ckpt").write_bytes(b"half")
    killed_writer.out("reports/demo/metrics.json").write_text("{", encoding="utf-8")
    killed_folders = sorted(p.parent if p.name == "metrics.json" else p for p in
                            killed_writer.staged.values())  # fmt: skip
    models = project / "models"
    kept = [
        _temporary(models, "demo", this_process()),  # a live writer (another rank)
        _temporary(models, "demo", dead, host="another-host.example"),
        _temporary(models, "other", dead),  # not an output of this stage
        models / ".demo.abc123.tmp",  # no owner in the name
    ]
    kept[-1].mkdir()

    removed = remove_stale_temporaries(spec, project)
    assert sorted(removed) == killed_folders
    assert not any(p.exists() for p in killed_folders)
    assert all(p.exists() for p in kept)
