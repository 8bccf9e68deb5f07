"""`make ui` opens on the runs a person compares: every family's experiment is a model-training
experiment (not MLflow's GenAI view) with a finished parent run carrying its headline metrics.

A tiny pipeline (the stage smoke tests' shrunken params and synthetic data) fills an MLflow
store; `make ui` serves it on 127.0.0.1, and the checks go through MLflow's REST API.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlpipe.datasets.mnist import save_splits
from local_servers import free_port, serving, without_mlflow_settings
from synthetic_data import synthetic_mnist
from test_stages import (
    FACE_STAGES,
    REPO,
    _random_walk_csv,
    _run_stage,
    _small_gallery,
    _write_movielens,
    scratch_project,
)

HEADLINE = {
    "optimizers": ("compare_optimizers", "test/accuracy"),
    "stock_lstm": ("train_stock_lstm", "test/rmse"),
    "recommender": ("train_recommender", "test/rmse"),
    "faces": ("train_face_cnn", "test/accuracy"),
    "classifiers": ("compare_classifiers", "cv/roc_auc"),
    "generative": ("train_digit_classifier", "test/accuracy"),
}
KIND = "custom_model_development"


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = scratch_project(tmp_path_factory.mktemp("ui"))
    save_splits(synthetic_mnist(), project / "data/raw/mnist.npz")
    (project / "prices.csv").write_text(_random_walk_csv(), encoding="utf-8")
    _write_movielens(project / "ml")
    _small_gallery(project / "gallery")
    stages = ["compare_optimizers", "fetch_stock_prices", "train_stock_lstm"]
    stages += ["fetch_movielens", "train_recommender", *FACE_STAGES, "compare_classifiers"]
    stages += ["train_digit_classifier"]
    for stage in stages:
        _run_stage(project, stage)
    return project / "mlruns"


@pytest.fixture(scope="module")
def ui(tiny_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make ui` on a free port over the tiny store; its whole process group ends afterwards."""
    port = free_port()
    command = ["make", "--no-print-directory", "ui", f"UI_PORT={port}", f"MLRUNS={tiny_store}"]
    log = tmp_path_factory.mktemp("ui") / "ui.log"
    with serving(command, port, log, env=without_mlflow_settings(), cwd=REPO) as base:
        yield base


def _api(base: str, path: str, body: dict | None = None) -> dict:
    url = f"{base}/api/2.0/mlflow/{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(HEADLINE))
def test_each_family_opens_as_training_runs_with_headline_metrics(ui: str, family: str) -> None:
    stage, key = HEADLINE[family]
    experiment = _api(ui, f"experiments/get-by-name?experiment_name={family}")["experiment"]
    tags = {t["key"]: t["value"] for t in experiment.get("tags", [])}
    assert tags.get("mlflow.experimentKind") == KIND, tags
    found = _api(
        ui,
        "runs/search",
        {
            "experiment_ids": [experiment["experiment_id"]],
            "filter": f"attributes.run_name = '{stage}'",
        },
    )
    parents = [
        run
        for run in found.get("runs", [])
        if not any(t["key"] == "mlflow.parentRunId" for t in run["data"].get("tags", []))
    ]
    assert len(parents) == 1, [r["info"]["run_name"] for r in found.get("runs", [])]
    run = parents[0]
    assert run["info"]["status"] == "FINISHED"
    metrics = {m["key"]: m["value"] for m in run["data"].get("metrics", [])}
    assert key in metrics and key.replace("test/", "baseline/") in metrics, sorted(metrics)
    assert "verdict" in metrics and metrics["verdict"] in (-1.0, 0.0, 1.0)
