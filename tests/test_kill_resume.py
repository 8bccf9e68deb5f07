"""`dvc repro` of a training stage, killed mid-epoch twice and run again, ends as if never killed.

A scratch DVC project (no git) holds the stock LSTM stage on a shrunken setting and a random-walk
price file. It is reproduced once without interruption (the reference outputs). Then:

1. `dvc repro -f` gets SIGINT (to the whole process group, as Ctrl+C in a terminal) right after
   the log line that ends epoch 2 of the first fit: the checkpoint of epoch 1 is on disk (that
   of epoch 2 is written just after the line) and the kill lands in the next milliseconds of an
   epoch of about a tenth of a second.
2. `dvc repro` resumes (it says so) and gets SIGKILL (the whole group, as the OOM killer or a
   crashed machine would) right after the line that ends epoch 4.
3. `dvc repro` resumes again and completes.

After each kill every declared output is absent (DVC removed them before the command ran) or
exactly the reference one, so nothing half-written is in place, and the resumable checkpoint
survived under .dlpipe/checkpoints/train_stock_lstm/. After SIGINT the stage removed its
temporary outputs and ended its run KILLED; after SIGKILL both are left (nothing runs on
SIGKILL). The last `dvc repro` writes outputs whose metrics, predictions and learning curves are
byte-identical to the reference, closes the stale run KILLED, removes the temporary outputs and
the checkpoints, and `dvc status` calls the stage up to date. Four runs of the stage in all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest
import yaml
from mlflow.tracking import MlflowClient

from dlpipe.datasets.stocks import load_from_csv, save_prices

REPO = Path(__file__).resolve().parents[1]
STAGE = "train_stock_lstm"
RESUMING = "resuming stock LSTM from epoch "
COMPARED = (
    "reports/stocks/metrics.json",
    "reports/stocks/predictions.csv",
    "reports/stocks/learning_curves.csv",
)


@dataclass(frozen=True)
class Project:
    root: Path
    env: dict[str, str]
    reference: dict[str, bytes]  # every declared output file of the uninterrupted run


def _prices_csv(days: int) -> str:
    rng = np.random.default_rng(11)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    dates = pd.bdate_range("2005-01-03", periods=days)
    rows = [
        f"{d:%Y-%m-%d},{c:.2f},{c * 1.01:.2f},{c * 0.99:.2f},{c:.2f},{v}"
        for d, c, v in zip(dates, close, rng.integers(1_000_000, 9_000_000, days), strict=True)
    ]
    return "Date,Open,High,Low,Close,Volume\n" + "\n".join(rows) + "\n"


def _stage_entry() -> dict:
    """The real dvc.yaml entry: its params and outputs, the repo's script, the one data dep."""
    entry = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"][STAGE]
    entry["cmd"] = f"{sys.executable} {REPO / 'pipeline' / f'{STAGE}.py'}"
    entry["deps"] = ["data/raw/stock_prices.csv"]
    return entry


def _declared(root: Path) -> list[Path]:
    entry = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"][STAGE]
    outs = entry.get("outs", []) + entry.get("metrics", []) + entry.get("plots", [])
    return [root / (next(iter(o)) if isinstance(o, dict) else o) for o in outs]


def _files(root: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for declared in _declared(root):
        files = sorted(declared.rglob("*")) if declared.is_dir() else [declared]
        found.update({f.relative_to(root).as_posix(): f.read_bytes() for f in files if f.is_file()})
    return found


def _dvc(project_root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The scratch project after one uninterrupted `dvc repro`."""
    root = tmp_path_factory.mktemp("kill_resume")
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["training"].update(progress_bar=False, accelerator="cpu", devices=1, cpu_threads=1)
    params["stock_lstm"].update(
        window=10, hidden_size=16, batch_size=16, max_epochs=6, patience=3, walk_forward_windows=1
    )  # two layers with dropout: the global generator matters
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": {STAGE: _stage_entry()}}), "utf-8")
    (root / "prices.csv").write_text(_prices_csv(1500), encoding="utf-8")
    prices = load_from_csv(root / "prices.csv", date_column="Date")
    save_prices(prices, root / "data/raw/stock_prices.csv")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "DVC_", "PL_", "RANK", "LOCAL_RANK", "WORLD_SIZE"))
    }
    env.update(PYTHONPATH=str(REPO / "src"), DVC_NO_ANALYTICS="true")
    assert _dvc(root, env, "init", "--no-scm", "-q").returncode == 0
    done = _dvc(root, env, "repro", STAGE)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "resuming" not in done.stderr
    yield Project(root, env, _files(root))


def _repro_killed(project: Project, signum: int, marker: str, *args: str) -> str:
    """`dvc repro [args]` killed with `signum` (its whole process group) once `marker` is
    logged; returns what it logged. Waits until every process of the group is gone."""
    dvc = subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro", *args, STAGE],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    assert dvc.stderr is not None
    logged = []
    for line in dvc.stderr:
        logged.append(line)
        if marker in line:
            break
    else:
        pytest.fail("the stage ended before it could be killed:\n" + "".join(logged)[-3000:])
    group = [psutil.Process(dvc.pid), *psutil.Process(dvc.pid).children(recursive=True)]
    os.killpg(dvc.pid, signum)
    logged.append(dvc.stderr.read())
    dvc.wait(timeout=120)
    _, alive = psutil.wait_procs(group, timeout=120)
    assert not alive, f"still running after the kill: {alive}"
    return "".join(logged)


def _runs(project: Project) -> list:
    client = MlflowClient(f"sqlite:///{project.root}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name("stock_lstm")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
    return [r for r in runs if r.data.tags.get("dlpipe.dvc_stage") == STAGE]


def _temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp") if ".dvc" not in p.parts]


def _checkpoints(root: Path) -> list[Path]:
    return sorted((root / ".dlpipe" / "checkpoints" / STAGE).rglob("resume.ckpt"))


def _assert_nothing_half_written(project: Project) -> None:
    now = _files(project.root)
    for name, content in now.items():
        assert content == project.reference[name], f"{name} is neither absent nor the old one"
    assert _checkpoints(project.root), "no resumable checkpoint survived the kill"


@pytest.mark.slow
def test_repro_killed_twice_mid_epoch_completes_as_if_never_killed(project: Project) -> None:
    client = MlflowClient(f"sqlite:///{project.root}/mlruns/mlflow.db")
    before = len(_runs(project))

    logged = _repro_killed(project, signal.SIGINT, "stock LSTM: epoch 2/", "-f")
    assert RESUMING not in logged
    _assert_nothing_half_written(project)
    assert not _temporaries(project.root), "an interrupted stage removes its temporary outputs"
    interrupted = _runs(project)[before]
    assert interrupted.info.status == "KILLED"
    assert "dlpipe.closed_stale" not in interrupted.data.tags  # it closed its run itself

    logged = _repro_killed(project, signal.SIGKILL, "stock LSTM: epoch 4/")
    assert RESUMING in logged, logged[-3000:]
    _assert_nothing_half_written(project)
    assert _temporaries(project.root), "a SIGKILL leaves temporary outputs (or it came too late)"
    killed = _runs(project)[before + 1]
    assert killed.info.status == "RUNNING"  # nothing runs on SIGKILL

    done = _dvc(project.root, project.env, "repro", STAGE)
    assert done.returncode == 0, done.stderr[-3000:]
    assert RESUMING in done.stderr, done.stderr[-3000:]
    now = _files(project.root)
    assert sorted(now) == sorted(project.reference)
    for name in COMPARED:
        assert now[name] == project.reference[name], f"{name} differs from the uninterrupted run"
    assert not _temporaries(project.root)
    assert not (project.root / ".dlpipe" / "checkpoints" / STAGE).exists()
    statuses = [r.info.status for r in _runs(project)[before:]]
    assert statuses == ["KILLED", "KILLED", "FINISHED"]
    closed = client.get_run(killed.info.run_id).data.tags["dlpipe.closed_stale"]
    assert "is gone (killed)" in closed
    status = _dvc(project.root, project.env, "status", STAGE)
    assert status.returncode == 0 and "up to date" in status.stdout, status.stdout
