"""Runs made inside `dvc exp run --temp` and `--queue` copies land in the origin's mlruns/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

SRC = Path(__file__).resolve().parents[1] / "src"

STAGE_SCRIPT = """\
import yaml
from dlpipe.paths import project_root
from dlpipe.tracking import start_run

x = yaml.safe_load(open("params.yaml"))["x"]
with start_run(project_root(), "probe", "track", {"x": x}) as run:
    run.log_metrics({"x_squared": x * x})
open("out.txt", "w").write(str(x))
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "DVC_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(SRC)
    env["DVC_NO_ANALYTICS"] = "true"
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "test"
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "test@example.invalid"
    root = tmp_path / "repo"
    root.mkdir()
    (root / "track.py").write_text(STAGE_SCRIPT, encoding="utf-8")
    (root / "params.yaml").write_text("x: 1\n", encoding="utf-8")
    (root / "dvc.yaml").write_text(
        "stages:\n  track:\n    cmd: python track.py\n    deps:\n      - track.py\n"
        "    params:\n      - x\n    outs:\n      - out.txt\n",
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("mlruns/\n", encoding="utf-8")
    _run(["git", "init", "-q", "-b", "main"], root, env)
    _run(["dvc", "init", "-q"], root, env)
    _run(["git", "add", "-A"], root, env)
    _run(["git", "commit", "-q", "-m", "init"], root, env)
    return root, env


def _tracked_xs(root: Path) -> list[str]:
    client = MlflowClient(f"sqlite:///{root.resolve()}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name("probe")
    runs = client.search_runs([experiment.experiment_id])
    assert all(r.info.status == "FINISHED" for r in runs)
    return sorted(r.data.params["x"] for r in runs)


@pytest.mark.slow
def test_temp_and_queued_experiments_survive(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    _run([sys.executable, "-m", "dvc", "exp", "run", "--temp", "-S", "x=2"], root, env)
    assert _tracked_xs(root) == ["2"]
    _run([sys.executable, "-m", "dvc", "exp", "run", "--queue", "-S", "x=3"], root, env)
    _run([sys.executable, "-m", "dvc", "exp", "run", "--run-all"], root, env)
    assert _tracked_xs(root) == ["2", "3"]
    # Nothing was left in a temporary copy: the copies are gone and the origin holds both runs.
    assert not list((root / ".dvc" / "tmp" / "exps").glob("tmp*/mlruns"))
