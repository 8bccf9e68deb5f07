"""The evaluation chapter's stages on shrunk settings: the default table and a user's CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dlpipe.models.tabular_model_io import load_tabular_model
from synthetic_data import bank_churn_frame
from test_stages import REPO, _headline, _run_stage, _runs, scratch_project

MODELS = ["ann", "logistic_regression", "random_forest", "gradient_boosting", "svm_rbf", "knn"]


def with_table(project: Path, **data: object) -> Path:
    """`project` (already shrunk by scratch_project) reading the table `data` describes."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params["classifier_data"].update(data)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def breast_cancer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = scratch_project(tmp_path_factory.mktemp("classifiers"))
    _run_stage(project, "compare_classifiers")
    return project


@pytest.mark.slow
def test_compare_classifiers_stage(breast_cancer: Path) -> None:
    project = breast_cancer
    metrics = _headline(project, "reports/classifiers/metrics.json")
    assert metrics["data/rows"] == 569 and metrics["data/features"] == 30
    assert metrics["data/splits"] == 3
    assert metrics["verdict"] in (-1, 0, 1) and 0 <= metrics["p_value"] <= 1
    assert 0.9 < metrics["baseline/roc_auc"] <= 1 and 0.5 < metrics["cv/roc_auc"] <= 1
    assert 0 <= metrics["cost/threshold"] <= 1
    assert metrics["cost/expected"] <= metrics["cost/at_half"] + 1e-12
    table = pd.read_csv(project / "reports/classifiers/comparison.csv")
    assert table["model"].tolist() == MODELS
    assert table["p_value"].isna().tolist() == [True] + [False] * 5
    for model in MODELS:
        roc = pd.read_csv(project / f"reports/classifiers/roc/{model}.csv")
        assert roc["fpr"].iloc[0] == 0 and roc["tpr"].iloc[-1] == 1
    oof = pd.read_csv(project / "reports/classifiers/oof_predictions.csv")
    assert len(oof) == 569 and set(oof["actual"]) == {"malignant", "benign"}
    details = json.loads((project / "reports/classifiers/details.json").read_text())
    cost = details["cost"]
    matrix = np.array(cost["confusion_at_threshold"])
    expected = (5 * matrix[1, 0] + 1 * matrix[0, 1]) / 569  # params' costs: FN 5, FP 1
    assert cost["expected_cost"] == pytest.approx(expected)
    page = (project / "reports/classifiers/report.md").read_text()
    for figure in ("roc.png", "confusion.png", "cost_curve.png"):
        assert f"]({figure})" in page
    runs = _runs(project, "classifiers")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = sorted(r.info.run_name for r in runs if "mlflow.parentRunId" in r.data.tags)
    assert len(parents) == 1 and children == sorted(f"cv/{m}" for m in MODELS)
    assert all(r.info.status == "FINISHED" for r in runs)


@pytest.mark.slow
def test_the_chosen_model_scores_new_rows(breast_cancer: Path, tmp_path: Path) -> None:
    project = breast_cancer
    model = load_tabular_model(project / "models/classifier")
    details = json.loads((project / "reports/classifiers/details.json").read_text())
    assert model.card.model == details["chosen"]
    from sklearn.datasets import load_breast_cancer

    rows = load_breast_cancer(as_frame=True).frame.drop(columns="target").head(20)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "dlpipe.cli", "classify", str(tmp_path / "rows.csv")],
        cwd=project,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    scored = pd.read_csv(pd.io.common.StringIO(done.stdout))
    assert scored.columns.tolist() == ["row", "probability", "label"] and len(scored) == 20
    direct = model.predict(rows)
    np.testing.assert_allclose(scored["probability"], direct["probability"], atol=1e-6)
    assert scored["label"].tolist() == direct["label"].tolist()
    # The served (registered) model answers the same.
    import mlflow.pyfunc

    mlflow.set_tracking_uri(f"sqlite:///{project}/mlruns/mlflow.db")
    served = mlflow.pyfunc.load_model("models:/dlpipe-classifiers/latest").predict(rows)
    np.testing.assert_allclose(served["probability"], direct["probability"], atol=1e-9)


@pytest.mark.slow
def test_study_ann_stage(breast_cancer: Path) -> None:
    project = breast_cancer
    _run_stage(project, "study_ann")
    metrics = _headline(project, "reports/classifiers/study/metrics.json")
    assert metrics["bias_variance/diagnosis"] in (0, 1, 2, 3)
    for strategy in ("manual", "grid", "random", "tpe"):
        assert 0.5 < metrics[f"search/{strategy}"] <= 1
    search = pd.read_csv(project / "reports/classifiers/study/search.csv")
    assert search.groupby("strategy").size().to_dict() == {
        "grid": 2,
        "manual": 2,
        "random": 2,
        "tpe": 2,
    }
    dropout = pd.read_csv(project / "reports/classifiers/study/dropout.csv")
    assert len(dropout) == 4 and dropout.shape[1] == 5
    page = (project / "reports/classifiers/study/report.md").read_text()
    assert "**Diagnosis:" in page
    for figure in ("dropout.png", "bias_variance.png", "search.png"):
        assert f"]({figure})" in page
    names = {r.info.run_name for r in _runs(project, "classifiers")}
    assert {"study_ann", "search/manual", "search/grid", "search/random", "search/tpe"} <= names


@pytest.mark.slow
def test_a_user_csv_runs_through_params_alone(tmp_path: Path) -> None:
    frame = bank_churn_frame(rows=160, seed=1)
    frame["Exited"] = frame["Exited"].map({0: "stayed", 1: "left"})
    frame.to_csv(tmp_path / "churn.csv", index=False)
    csv = {
        "path": "churn.csv",
        "target": "Exited",
        "positive_label": "left",
        "drop": ["RowNumber", "CustomerId", "Surname"],
        "categorical": ["Geography", "Gender"],
    }
    project = with_table(scratch_project(tmp_path), source="csv", csv=csv)
    _run_stage(project, "compare_classifiers")
    metrics = _headline(project, "reports/classifiers/metrics.json")
    assert metrics["data/rows"] == 160 and metrics["data/features"] == 10
    assert metrics["baseline/roc_auc"] > 0.6
    model = load_tabular_model(project / "models/classifier")
    assert model.card.positive_label == "left" and model.card.negative_label == "stayed"
    assert set(model.predict(frame.head(5))["label"]) <= {"left", "stayed"}


def test_a_bad_table_fails_the_stage_with_the_column_named(tmp_path: Path) -> None:
    frame = bank_churn_frame(rows=40, seed=0)
    frame.to_csv(tmp_path / "churn.csv", index=False)
    csv = {
        "path": "churn.csv",
        "target": "Churned",
        "positive_label": 1,
        "drop": [],
        "categorical": ["Geography", "Gender"],
    }
    project = with_table(scratch_project(tmp_path), source="csv", csv=csv)
    with pytest.raises(AssertionError, match="Churned"):
        _run_stage(project, "compare_classifiers")
    assert not (project / "reports/classifiers/metrics.json").exists()
