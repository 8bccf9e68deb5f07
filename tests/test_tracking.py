"""MLflow tracking: where runs land, what each carries, and FAILED on errors."""

from __future__ import annotations

from pathlib import Path

import mlflow.artifacts
import numpy as np
import pandas as pd
import pytest
import torch
from mlflow.tracking import MlflowClient

from dlpipe.models.components import MLP
from dlpipe.paths import mlruns_dir, origin_root
from dlpipe.tracking import (
    EXPERIMENT_KIND,
    EXPERIMENT_KIND_TAG,
    ModelNotRegisteredError,
    flatten,
    load_registered_model,
    metric_key,
    params_hash,
    pinned_requirements,
    registered_name,
    start_run,
    tracking_location,
)


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


def test_every_experiment_opens_on_the_training_runs_view(tmp_path: Path) -> None:
    with start_run(tmp_path, "fresh", "s", {}):
        pass
    client = MlflowClient(tracking_location(tmp_path).uri)
    assert client.get_experiment_by_name("fresh").tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND
    assert EXPERIMENT_KIND == "custom_model_development"
    # An experiment made before the tag (or by someone else) gets it at its next run.
    client.create_experiment("older", artifact_location=(tmp_path / "older").as_uri())
    assert EXPERIMENT_KIND_TAG not in client.get_experiment_by_name("older").tags
    with start_run(tmp_path, "older", "s", {}):
        pass
    assert client.get_experiment_by_name("older").tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND


def test_logged_models_register_as_new_versions_and_load_back(tmp_path: Path) -> None:
    torch.manual_seed(0)
    network = MLP(4, (3,), 2)
    rows = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    with start_run(tmp_path, "probe", "s", {}) as run:
        assert run.log_model(network, rows) is None  # logged, not registered
        assert run.log_model(network, rows, "again", registered_model_name="dlpipe-probe") == "1"
        assert run.log_model(network, rows, "more", registered_model_name="dlpipe-probe") == "2"
    model, version = load_registered_model(tmp_path, "dlpipe-probe")
    assert version == "2"
    answer = model.predict(pd.DataFrame(rows.astype(np.float64)))  # plain rows of numbers
    with torch.no_grad():
        expected = network(torch.from_numpy(rows)).numpy()
    np.testing.assert_allclose(answer.to_numpy(), expected, rtol=1e-6)
    assert load_registered_model(tmp_path, "dlpipe-probe", 1)[1] == "1"
    with pytest.raises(ModelNotRegisteredError) as error:
        load_registered_model(tmp_path, "dlpipe-probe", 3)
    assert str(error.value) == (
        "registered model dlpipe-probe has no version 3 (it has versions 1 to 2)"
    )
    assert error.value.versions == [1, 2]
    with pytest.raises(ModelNotRegisteredError, match=r"^no registered model dlpipe-other yet$"):
        load_registered_model(tmp_path, "dlpipe-other")
    # The model carries pinned requirements and dlpipe's source, for a fresh serving process.
    local = Path(mlflow.artifacts.download_artifacts("models:/dlpipe-probe/2"))
    requirements = (local / "requirements.txt").read_text(encoding="utf-8").split()
    assert pinned_requirements("torch")[0] in requirements
    assert all("+" not in line for line in requirements)
    assert (local / "code" / "dlpipe" / "tracking.py").is_file()
    assert not list((local / "code").rglob("__pycache__"))


def test_no_store_means_no_registered_model_and_none_is_created(tmp_path: Path) -> None:
    with pytest.raises(ModelNotRegisteredError) as error:
        load_registered_model(tmp_path, "dlpipe-faces")
    assert str(error.value) == "no registered model dlpipe-faces yet" and error.value.versions == []
    assert not (tmp_path / "mlruns").exists()


def test_a_child_runs_model_registers_under_the_parent(tmp_path: Path) -> None:
    rows = np.zeros((2, 4), dtype=np.float32)
    with start_run(tmp_path, "probe", "s", {}) as parent:
        children = {}
        for name in ("a", "b", "c"):
            with start_run(tmp_path, "probe", "s", {}, run_name=name, parent=parent) as child:
                if name != "c":
                    child.log_model(MLP(4, (3,), 2), rows)
                children[name] = child.run_id
        assert parent.register_child_model("b", "dlpipe-probe") == "1"
        with pytest.raises(LookupError, match="no child run named 'z'"):
            parent.register_child_model("z", "dlpipe-probe")
        with pytest.raises(LookupError, match="logged no model 'model'"):
            parent.register_child_model("c", "dlpipe-probe")
    client = MlflowClient(tracking_location(tmp_path).uri)
    registered = client.get_model_version("dlpipe-probe", "1")
    assert registered.run_id == children["b"] and registered.tags["dlpipe.chosen"] == "b"


def test_requirements_are_the_installed_pins() -> None:
    (torch_pin,) = pinned_requirements("torch")
    assert torch_pin == f"torch=={torch.__version__.split('+')[0]}"
    assert registered_name("stock_lstm") == "dlpipe-stock_lstm"
