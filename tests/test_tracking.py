"""MLflow tracking: where runs land, what each carries, and FAILED on errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from dlpipe.paths import mlruns_dir, origin_root
from dlpipe.tracking import flatten, metric_key, params_hash, start_run, tracking_location


@pytest.fixture(autouse=True)
def _no_env_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_local_store_is_sqlite_inside_mlruns(tmp_path: Path) -> None:
    location = tracking_location(tmp_path)
    assert location.uri == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"
    assert location.artifact_root == tmp_path.resolve() / "mlruns" / "artifacts"


def test_environment_uri_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    location = tracking_location(tmp_path)
    assert location.uri == "http://127.0.0.1:5999"
    assert location.artifact_root is None
    assert not (tmp_path / "mlruns").exists()


def test_dvc_temp_copies_track_into_the_origin_repo(tmp_path: Path) -> None:
    copy = tmp_path / "repo" / ".dvc" / "tmp" / "exps" / "tmpab12cd"
    copy.mkdir(parents=True)
    assert origin_root(copy) == (tmp_path / "repo").resolve()
    assert mlruns_dir(copy) == (tmp_path / "repo").resolve() / "mlruns"
    assert origin_root(tmp_path) == tmp_path.resolve()


def test_flatten_and_hash() -> None:
    params = {"a": {"b": 1, "c": (1, 2)}, "d": "x"}
    assert flatten(params) == {"a.b": "1", "a.c": "[1, 2]", "d": "x"}
    assert params_hash(params) == params_hash({"d": "x", "a": {"c": (1, 2), "b": 1}})
    assert params_hash(params) != params_hash({**params, "d": "y"})


def test_run_carries_params_tags_metrics_and_history(tmp_path: Path) -> None:
    with start_run(tmp_path, "probe", "probe_stage", {"lr": 0.1, "net": {"width": 8}}) as run:
        run.log_metrics({"test/acc": 0.5})
        run.log_history({"train/loss": [3.0, 2.0, 1.0]})
        artifact = tmp_path / "note.txt"
        artifact.write_text("hello", encoding="utf-8")
        run.log_artifact(artifact, "notes")
    client = MlflowClient(tracking_location(tmp_path).uri)
    got = client.get_run(run.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params == {"lr": "0.1", "net.width": "8"}
    assert got.data.tags["dlpipe.dvc_stage"] == "probe_stage"
    assert got.data.tags["dlpipe.params_hash"] == params_hash({"lr": 0.1, "net": {"width": 8}})
    assert got.data.tags["mlflow.source.git.commit"]
    assert got.data.metrics["test/acc"] == 0.5
    history = client.get_metric_history(run.run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(0, 3.0), (1, 2.0), (2, 1.0)]
    artifacts = [a.path for a in client.list_artifacts(run.run_id, "notes")]
    assert artifacts == ["notes/note.txt"]
    # Artifacts live inside mlruns/, not in the working directory.
    assert (tmp_path / "mlruns" / "artifacts" / "probe").is_dir()


def test_a_raising_block_leaves_the_run_failed_with_the_reason(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        start_run(tmp_path, "probe", "probe_stage", {}) as run,
    ):
        raise RuntimeError("boom")
    got = MlflowClient(tracking_location(tmp_path).uri).get_run(run.run_id)
    assert got.info.status == "FAILED"
    assert got.data.tags["dlpipe.error"] == "RuntimeError: boom"


def test_child_runs_point_at_their_parent(tmp_path: Path) -> None:
    with start_run(tmp_path, "probe", "s", {}) as parent:  # noqa: SIM117 (child needs parent)
        with start_run(tmp_path, "probe", "s", {"k": 1}, run_name="child", parent=parent) as child:
            pass
    got = MlflowClient(tracking_location(tmp_path).uri).get_run(child.run_id)
    assert got.data.tags["mlflow.parentRunId"] == parent.run_id
    assert got.info.run_name == "child"


def test_metric_names_are_made_legal_for_mlflow() -> None:
    assert metric_key("precision@10") == "precision_at_10"
    assert metric_key("test/rmse") == "test/rmse"
    assert metric_key("a&b") == "a_b"
