"""A shared MLflow tracking server on PostgreSQL with proxied artifacts, as several machines
would use it: `mlflow server --backend-store-uri postgresql://... --artifacts-destination DIR
--serve-artifacts`, and a real pipeline stage pointed at it through MLFLOW_TRACKING_URI alone.

What it proves: the stage's runs, metrics and registered model land in PostgreSQL (read back
through MlflowClient and checked in the database's own tables), the artifacts went through the
server's proxy into its destination folder (the client never saw that folder), nothing fell back
to a local mlruns/, and `dlpipe forecast` loads the registered model back through the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from dlpipe.serving.forecast import next_day_forecast
from local_servers import (
    MLFLOW_SERVER_ENV,
    free_port,
    mlflow_server_command,
    serving,
    without_mlflow_settings,
)
from postgres_cluster import PostgresCluster
from test_stages import REPO, _random_walk_csv, scratch_project


@dataclass(frozen=True)
class TrackingServer:
    url: str
    artifacts: Path  # the server's --artifacts-destination
    database: str  # its backend store's database in the cluster
    cluster: PostgresCluster


@pytest.fixture(scope="module")
def tracking_server(
    postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingServer]:
    """`mlflow server` on a free loopback port over a new database; its process group ends after.
    Job execution off (MLflow's GenAI job consumers are extra processes nobody uses here)."""
    backend = postgres.create_database("mlflow_server")
    artifacts = tmp_path_factory.mktemp("mlartifacts")
    port = free_port()
    log = tmp_path_factory.mktemp("mlflow_server") / "server.log"
    command = mlflow_server_command(backend, artifacts, port)
    with serving(command, port, log, env=without_mlflow_settings(**MLFLOW_SERVER_ENV)) as url:
        yield TrackingServer(url, artifacts, "mlflow_server", postgres)


def _run_against(project: Path, server: TrackingServer, *command: str) -> str:
    """`command` in `project` with the server as its only MLflow setting; its stdout back."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(PYTHONPATH=str(REPO / "src"), MLFLOW_TRACKING_URI=server.url)
    done = subprocess.run(
        [sys.executable, *command],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_a_stage_logs_runs_metrics_and_its_registered_model_to_the_server(
    tracking_server: TrackingServer, tmp_path: Path
) -> None:
    server = tracking_server
    project = scratch_project(tmp_path)
    (project / "prices.csv").write_text(_random_walk_csv(), encoding="utf-8")
    for stage in ("fetch_stock_prices", "train_stock_lstm"):
        _run_against(project, server, str(REPO / "pipeline" / f"{stage}.py"))
    assert not (project / "mlruns").exists()  # nothing fell back to the local store

    client = MlflowClient(server.url)
    experiment = client.get_experiment_by_name("stock_lstm")
    runs = client.search_runs(
        [experiment.experiment_id], filter_string="attributes.run_name = 'train_stock_lstm'"
    )
    (run,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert run.info.status == "FINISHED"
    headline = json.loads((project / "reports/stocks/metrics.json").read_text())
    assert run.data.metrics["test/rmse"] == pytest.approx(headline["test/rmse"], rel=1e-12)
    assert run.data.metrics["baseline/rmse"] == pytest.approx(headline["baseline/rmse"], rel=1e-12)
    history = client.get_metric_history(run.info.run_id, "train/loss")
    assert len(history) >= 2  # the per-epoch curve, not only the last value

    (version,) = client.search_model_versions("name = 'dlpipe-stock_lstm'")
    assert version.version == "1" and version.run_id == run.info.run_id
    assert version.status == "READY"

    # Artifacts went through the proxy: the store hands out mlflow-artifacts:/ URIs and the files
    # are in the server's destination folder, which only the server knows.
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/"), run.info.artifact_uri
    model_files = list(server.artifacts.rglob("MLmodel"))
    assert model_files, f"no logged model under {server.artifacts}"
    assert any(p.name == "model.pt" for p in server.artifacts.rglob("*")), "model.pt not proxied"

    # ...and the runs and the registry are PostgreSQL's rows.
    db, cluster = server.database, server.cluster
    assert cluster.run_sql(db, "SELECT name FROM registered_models") == [("dlpipe-stock_lstm",)]
    finished = cluster.run_sql(db, f"SELECT status FROM runs WHERE run_uuid = '{run.info.run_id}'")
    assert finished == [("FINISHED",)]
    stored = cluster.run_sql(
        db,
        f"SELECT value FROM latest_metrics WHERE run_uuid = '{run.info.run_id}' "
        "AND key = 'test/rmse'",
    )
    assert float(stored[0][0]) == pytest.approx(headline["test/rmse"], rel=1e-12)

    # The registered model comes back through the server (its artifacts through the proxy) and
    # forecasts what the stage's own model file forecasts.
    said = _run_against(project, server, "-m", "dlpipe.cli", "forecast", "--version", "1")
    local = next_day_forecast(
        project / "models/stock_lstm/model.pt", project / "data/raw/stock_prices.csv", project
    )
    assert f"next trading day forecast {local.forecast:.2f}" in said, said
