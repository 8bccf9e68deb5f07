"""A scratch project for the tuning tests: tiny params, the study journal and MLflow store
inside the project folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from tuning_helpers import repo_raw, tiny_raw, write_params


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with dvc.yaml (so it is a project root) and the tiny params.yaml; MLflow's
    store is the folder's own mlruns/."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    write_params(tmp_path, tiny_raw(repo_raw()))
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    return tmp_path
