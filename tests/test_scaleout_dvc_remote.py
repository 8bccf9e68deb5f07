"""Sharing results through a DVC remote: a collaborator clones, pulls and reruns nothing.

The project is this repository at HEAD (`git archive`) cut down to the stock family's two real
stages (their dvc.yaml stanzas and plot definitions as they are, tiny params): a DVC-cached data
file and model folder, plus `cache: false` reports committed to git, the repo's own shape. Its
owner runs `dvc repro`, commits, adds a local-directory remote as the default and `dvc push`es,
then drops the local cache so only the remote has the data. A fresh `git clone` then `dvc pull`s
the same bytes, `dvc status` is clean, `dvc repro` runs no stage, and `dvc plots show` writes the
plots page from the pulled and committed files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from test_stages import REPO, _random_walk_csv, scratch_project

STAGES = ("fetch_stock_prices", "train_stock_lstm")
UP_TO_DATE = "Data and pipelines are up to date."


def _env() -> dict[str, str]:
    """No MLflow setting from outside; the venv's python first (stage commands call `python`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(DVC_NO_ANALYTICS="true", GIT_AUTHOR_NAME="t", GIT_COMMITTER_NAME="t")
    env.update(GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_EMAIL="t@example.invalid")
    return env


def _run(cwd: Path, *command: str) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _dvc(cwd: Path, *args: str) -> str:
    return _run(cwd, sys.executable, "-m", "dvc", *args)


def _stock_project(origin: Path) -> Path:
    """HEAD's tree with only the stock stages, their plots and a tiny params.yaml, in git."""
    origin.mkdir()
    archive = subprocess.run(
        ["git", "archive", "HEAD"], cwd=REPO, capture_output=True, check=True, timeout=120
    )
    subprocess.run(["tar", "-x", "-C", str(origin)], input=archive.stdout, check=True)
    scratch_project(origin)  # the shrunken params.yaml (and dvc.yaml, cut below)
    pipeline = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))
    pipeline["stages"] = {name: pipeline["stages"][name] for name in STAGES}
    pipeline["plots"] = [
        entry
        for entry in pipeline.get("plots", [])
        if all(str(y).startswith("reports/stocks/") for spec in entry.values() for y in spec["y"])
    ]
    assert pipeline["plots"], "dvc.yaml has no stock plots any more: pick another family"
    (origin / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False), encoding="utf-8")
    (origin / "dvc.lock").unlink(missing_ok=True)
    shutil.rmtree(origin / "reports" / "stocks", ignore_errors=True)
    (origin / "prices.csv").write_text(_random_walk_csv(), encoding="utf-8")
    _run(origin, "git", "init", "-q", "-b", "main")
    _run(origin, "git", "add", "-A")
    _run(origin, "git", "commit", "-q", "-m", "the stock stages")
    return origin


@pytest.mark.slow
def test_push_then_a_fresh_clone_pulls_and_reruns_nothing(tmp_path: Path) -> None:
    origin = _stock_project(tmp_path / "origin")
    ran = _dvc(origin, "repro")
    assert all(f"Running stage '{stage}'" in ran for stage in STAGES), ran
    remote = tmp_path / "remote"
    _dvc(origin, "remote", "add", "--default", "shared", str(remote))
    _run(origin, "git", "add", "-A")
    _run(origin, "git", "commit", "-q", "-m", "results and the shared remote")
    pushed = _dvc(origin, "push")
    assert "pushed" in pushed, pushed
    assert any(p.is_file() for p in remote.rglob("*")), "the remote is empty after dvc push"
    shutil.rmtree(origin / ".dvc" / "cache")  # from here on, only the remote has the data

    clone = tmp_path / "clone"
    _run(tmp_path, "git", "clone", "-q", str(origin), str(clone))
    model = Path("models/stock_lstm/model.pt")
    assert not (clone / model).exists() and not (clone / "data/raw/stock_prices.csv").exists()
    assert (clone / "reports/stocks/metrics.json").is_file()  # cache: false, so git has it
    _dvc(clone, "pull")
    assert (clone / model).read_bytes() == (origin / model).read_bytes()
    for cached in ("data/raw/stock_prices.csv", "reports/stocks/forecast.png"):
        assert (clone / cached).read_bytes() == (origin / cached).read_bytes(), cached

    assert UP_TO_DATE in _dvc(clone, "status")
    rerun = _dvc(clone, "repro")
    assert "Running stage" not in rerun, rerun
    assert all(f"Stage '{stage}' didn't change, skipping" in rerun for stage in STAGES), rerun

    _dvc(clone, "plots", "show")
    page = (clone / "dvc_plots" / "index.html").read_text(encoding="utf-8")
    assert "stock forecasts on the test days" in page and "forecast.png" in page
