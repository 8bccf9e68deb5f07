"""Several processes (DDP), one set of results: MLflow runs and outputs happen on global rank zero.

The rank comes from the launcher's environment (Lightning's `ddp` launcher, torchrun, srun), so
it is known before any Trainer exists. The slow test runs the stock LSTM stage once in one process
and once as two DDP processes on CPU (gloo).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from dlpipe.datasets.stocks import load_from_csv, save_prices
from dlpipe.distributed import global_rank, is_global_zero, leave_process_group
from dlpipe.models.stock_model_io import load_stock_model
from dlpipe.stage import Stage, StageSpec, run_stage
from dlpipe.tracking import NullRunLogger, RunLogger, start_run

REPO = Path(__file__).resolve().parents[1]
LAUNCHER_VARIABLES = (
    "RANK",
    "LOCAL_RANK",
    "NODE_RANK",
    "GROUP_RANK",
    "WORLD_SIZE",
    "LOCAL_WORLD_SIZE",
    "SLURM_PROCID",
    "MASTER_ADDR",
    "MASTER_PORT",
)


# --- which rank -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "rank"),
    [
        ({}, 0),  # a plain run
        # Lightning's ddp launcher: the launching process (after its first Trainer) and a copy.
        ({"LOCAL_RANK": "0", "NODE_RANK": "0", "WORLD_SIZE": "2"}, 0),
        ({"LOCAL_RANK": "1", "NODE_RANK": "0", "WORLD_SIZE": "2"}, 1),
        ({"LOCAL_RANK": "1"}, 1),
        # torchrun: RANK is the global rank; without it, the node and the node's process count.
        ({"RANK": "5", "LOCAL_RANK": "1", "GROUP_RANK": "1", "LOCAL_WORLD_SIZE": "4"}, 5),
        ({"LOCAL_RANK": "1", "GROUP_RANK": "1", "LOCAL_WORLD_SIZE": "4"}, 5),
        ({"RANK": "0", "LOCAL_RANK": "0", "GROUP_RANK": "0", "LOCAL_WORLD_SIZE": "4"}, 0),
        # srun: SLURM_PROCID; a process Lightning launched inside an allocation inherits PROCID 0.
        ({"SLURM_PROCID": "3", "SLURM_NTASKS": "4"}, 3),
        ({"SLURM_PROCID": "0", "LOCAL_RANK": "1"}, 1),
    ],
)
def test_global_rank_comes_from_the_launchers_environment(environ: dict, rank: int) -> None:
    assert global_rank(environ) == rank
    assert is_global_zero(environ) == (rank == 0)


def test_a_node_other_than_the_first_is_never_rank_zero() -> None:
    # Lightning's launcher on node 1 does not say how many processes a node runs.
    assert global_rank({"NODE_RANK": "1"}) > 0
    assert global_rank({"NODE_RANK": "1", "LOCAL_RANK": "0", "WORLD_SIZE": "8"}) > 0


def test_a_malformed_rank_is_an_error_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="LOCAL_RANK='one'"):
        global_rank({"LOCAL_RANK": "one"})


def test_leaving_without_a_process_group_does_nothing() -> None:
    leave_process_group()  # no DDP in this process: must neither fail nor wait


# --- a worker opens no run and writes no outputs ----------------------------------------------


def test_the_null_logger_overrides_every_method_of_the_run_logger() -> None:
    """A method added to RunLogger must get its do-nothing twin in NullRunLogger, or a DDP worker
    would talk to MLflow (or fail on its missing client)."""
    methods = {name for name, _ in inspect.getmembers(RunLogger, inspect.isfunction)}
    missing = sorted(
        name
        for name in methods - {"__init__"}
        if getattr(NullRunLogger, name) is getattr(RunLogger, name)
    )
    assert missing == [], f"NullRunLogger must override {missing}"
    null = NullRunLogger()
    assert null.lightning_logger() is None
    null.log_metrics({"a": 1.0})
    null.set_tags({"b": "c"})


def _as_worker(monkeypatch: pytest.MonkeyPatch, rank: str = "1") -> None:
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOCAL_RANK", rank)
    monkeypatch.setenv("NODE_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")


def test_start_run_on_a_worker_opens_no_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _as_worker(monkeypatch)
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    with start_run(tmp_path, "demo", "demo_stage", {"seed": 1}) as run:
        assert isinstance(run, NullRunLogger) and run.lightning_logger() is None
        with start_run(tmp_path, "demo", "demo_stage", {}, "child", parent=run) as child:
            child.log_metrics({"test/acc": 1.0})
    assert not (tmp_path / "mlruns").exists()


def test_run_stage_on_a_worker_runs_the_body_but_commits_and_tracks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (tmp_path / "params.yaml").write_text(
        (REPO / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _as_worker(monkeypatch)
    spec = StageSpec("demo_stage", "demo", ("seed",), ("reports/demo/metrics.json", "models/demo/"))
    seen: list[Stage] = []

    def body(stage: Stage) -> None:
        seen.append(stage)
        stage.out("reports/demo/metrics.json").write_text("{}\n", encoding="utf-8")
        (stage.out("models/demo") / "model.bin").write_bytes(b"weights")
        stage.run.log_metrics({"test/acc": 1.0})  # a worker's calls do nothing

    run_stage(spec, body)
    assert len(seen) == 1 and isinstance(seen[0].run, NullRunLogger)
    assert not (tmp_path / "reports/demo/metrics.json").exists()
    assert not (tmp_path / "models/demo").exists()
    assert not list(tmp_path.rglob("*.tmp*")), "a worker left temporary outputs behind"
    assert not (tmp_path / "mlruns").exists()


# --- the stock LSTM stage: one process, then two DDP processes on CPU --------------------------


def _random_walk_csv(days: int = 300) -> str:
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    dates = pd.bdate_range("2012-01-03", periods=days)
    rows = [
        f"{d:%Y-%m-%d},{c:.2f},{c * 1.01:.2f},{c * 0.99:.2f},{c:.2f},{v}"
        for d, c, v in zip(dates, close, rng.integers(1_000_000, 9_000_000, days), strict=True)
    ]
    return "Date,Open,High,Low,Close,Volume\n" + "\n".join(rows) + "\n"


def _declared(stage: str) -> list[str]:
    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"][stage]
    entries = spec.get("outs", []) + spec.get("metrics", []) + spec.get("plots", [])
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries]


def _stock_project(root: Path, **training: object) -> Path:
    """A scratch project: the shrunken stock LSTM settings of tests/test_stages.py, a random-walk
    price file already in data/raw/, and `training` on top of CPU training."""
    root.mkdir()
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["training"].update(progress_bar=False, accelerator="cpu", cpu_threads=1, **training)
    params["stock_lstm"].update(
        window=10, hidden_size=8, num_layers=1, max_epochs=6, patience=3, walk_forward_windows=1
    )
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    (root / "dvc.yaml").write_text((REPO / "dvc.yaml").read_text(), encoding="utf-8")
    (root / "prices.csv").write_text(_random_walk_csv(), encoding="utf-8")
    series = load_from_csv(root / "prices.csv", date_column="Date")
    save_prices(series, root / "data/raw/stock_prices.csv")
    return root


def _run_lstm_stage(project: Path) -> float:
    """Run pipeline/train_stock_lstm.py as DVC does; the seconds it took.

    DDP on CPU needs no settings here (Lightning picks gloo, 127.0.0.1 and a free port); the
    environment pins them anyway, so a machine whose host name resolves to an unreachable
    address (some containers) still connects: MASTER_ADDR=127.0.0.1, GLOO_SOCKET_IFNAME=lo.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "SLURM_", "TORCHELASTIC_"))
        and key not in (*LAUNCHER_VARIABLES, "OMP_NUM_THREADS", "PL_GLOBAL_SEED")
    }
    env.update(PYTHONPATH=str(REPO / "src"), MASTER_ADDR="127.0.0.1")
    if Path("/sys/class/net/lo").exists():
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(REPO / "pipeline" / "train_stock_lstm.py")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # The second process logs only warnings: one "starting" and one "done" line in all.
    assert done.stderr.count("train_stock_lstm: starting") == 1, done.stderr[-3000:]
    assert done.stderr.count("train_stock_lstm: done") == 1, done.stderr[-3000:]
    return time.perf_counter() - started


def _ratios(project: Path) -> dict[str, float]:
    """Each model's test RMSE over persistence's, from the predictions file."""
    frame = pd.read_csv(project / "reports/stocks/predictions.csv")
    rmse = {
        model: float(np.sqrt(np.mean((frame[model] - frame["actual"]) ** 2)))
        for model in ("lstm", "persistence", "moving_average", "linear")
    }
    return {model: value / rmse["persistence"] for model, value in rmse.items()}


def _the_one_run(project: Path):
    client = MlflowClient(f"sqlite:///{project}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name("stock_lstm")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, [r.info.run_name for r in runs]  # no run from the second process
    (run,) = runs
    assert run.info.status == "FINISHED" and run.info.run_name == "train_stock_lstm"
    return client, run


def _batches_per_epoch(client: MlflowClient, run) -> int:
    """Optimizer steps in the first epoch, from the steps MLflow recorded the epoch number at."""
    epochs = client.get_metric_history(run.info.run_id, "epoch")
    return min(m.step for m in epochs if m.value == 1.0) - min(m.step for m in epochs)


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_writes_and_tracks_once(tmp_path: Path) -> None:
    """The stock LSTM stage, in one process and as 2 DDP processes (gloo on CPU).

    Expected to match exactly: the data, split and test days, and every baseline (persistence,
    moving average, linear), which no training touches. Expected to differ a little: the LSTM.
    Under DDP each process trains on half of each epoch's windows (DistributedSampler, in another
    shuffled order) and the gradients are averaged, so an optimizer step sees 2 x 64 windows and
    an epoch has about half the steps; early stopping reads rank zero's half of the validation
    days. With the network this small and a random walk to forecast, the LSTM stays close to
    persistence either way: its RMSE over persistence's may differ by at most 0.05 between the
    runs (a model that failed to train or to restore its best checkpoint lands well outside).
    Only rank zero may open an MLflow run or move outputs into place: one FINISHED run, every
    declared output present, no temporary folder left behind.
    """
    single = _stock_project(tmp_path / "single", devices=1, strategy="auto")
    ddp = _stock_project(tmp_path / "ddp", devices=2, strategy="ddp")
    seconds = {"single": _run_lstm_stage(single), "ddp": _run_lstm_stage(ddp)}

    for project in (single, ddp):
        for declared in _declared("train_stock_lstm"):
            assert (project / declared).exists(), f"{declared} was not written"
        assert not list(project.rglob("*.tmp*")), "temporary outputs left behind"
        metrics = json.loads((project / "reports/stocks/metrics.json").read_text())
        assert metrics and all(math.isfinite(v) for v in metrics.values())
        model = load_stock_model(project / "models/stock_lstm/model.pt")
        assert not model.network.training
    (single_client, single_run), (ddp_client, ddp_run) = _the_one_run(single), _the_one_run(ddp)
    assert ddp_run.data.params["training.strategy"] == "ddp"
    assert ddp_run.data.params["training.devices"] == "2"

    def artifacts(client: MlflowClient, run) -> list[str]:
        return sorted(a.path for a in client.list_artifacts(run.info.run_id, "stocks"))

    assert artifacts(ddp_client, ddp_run) == artifacts(single_client, single_run)
    # Two processes took part: each epoch had about half the steps.
    one, two = (
        _batches_per_epoch(single_client, single_run),
        _batches_per_epoch(ddp_client, ddp_run),
    )
    assert two < one <= 2 * two, (one, two)

    first, second = _ratios(single), _ratios(ddp)
    frames = [pd.read_csv(p / "reports/stocks/predictions.csv") for p in (single, ddp)]
    for column in ("date", "actual", "persistence", "moving_average", "linear"):
        assert frames[0][column].tolist() == frames[1][column].tolist(), column
    assert abs(first["lstm"] - second["lstm"]) <= 0.05, (first, second)
    print(f"\nseconds {seconds}; LSTM RMSE / persistence: single {first['lstm']:.4f}, "
          f"ddp {second['lstm']:.4f}; steps per epoch {one} -> {two}")  # fmt: skip
