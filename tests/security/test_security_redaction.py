"""No secrets in params, logs or MLflow tags: a tracking URI's password is masked wherever dlpipe
logs, tags or reports it, and params.yaml holds no secret.

The end-to-end check runs two real stages against a real MLflow server on 127.0.0.1 reached as
`http://user:<password>@127.0.0.1:<port>` (MLflow sends the userinfo as basic auth; the server
ignores it): their output (logs, MLflow's own prints, tracebacks), the runs' params and tags, the
registered model's tags and the report files must not contain the password.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from dlpipe.config.params import Params
from dlpipe.redact import RedactingFilter, redact, secret_env_values
from dlpipe.tracking import start_run, tracking_location
from local_servers import (
    MLFLOW_SERVER_ENV,
    free_port,
    mlflow_server_command,
    serving,
    without_mlflow_settings,
)
from test_stages import REPO, _random_walk_csv, scratch_project

PASSWORD = "s3cretPa55"
SECRET_KEY = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential")


def test_redact_masks_passwords_by_hand() -> None:
    cases = {
        "postgresql://user:pw1@db.host:5432/mlflow": "postgresql://user:***@db.host:5432/mlflow",
        "failed: http://me:p@ss@127.0.0.1:5000/api/2.0/x": "failed: http://me:***@127.0.0.1:5000/api/2.0/x",
        "sqlite:///db?password=pw2&mode=ro": "sqlite:///db?password=***&mode=ro",
        "http://127.0.0.1:5000/#/experiments/1": "http://127.0.0.1:5000/#/experiments/1",
        "postgresql://user@host/db": "postgresql://user@host/db",
    }
    for text, expected in cases.items():
        assert redact(text, secrets=()) == expected
    env = {"MLFLOW_TRACKING_PASSWORD": "hunter22", "PWD": "/work", "HOME": "/root"}
    assert secret_env_values(env) == ["hunter22"]
    assert redact("auth hunter22 in /work", secrets=secret_env_values(env)) == "auth *** in /work"


def test_log_records_and_tracebacks_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    uri = f"http://user:{PASSWORD}@127.0.0.1:9"
    handler = logging.StreamHandler(stream := _Text())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("dlpipe.probe")
    logger.addHandler(handler)
    try:
        try:
            raise ConnectionError(f"API request to {uri}/api/2.0/mlflow/runs/create failed")
        except ConnectionError:
            logger.exception("could not reach %s", uri)
    finally:
        logger.removeHandler(handler)
    assert "user:***@127.0.0.1:9" in stream.text and "ConnectionError" in stream.text
    assert PASSWORD not in stream.text


# SQLAlchemy notes that sqlite ignores the query's password: the URI only carries a secret here.
@pytest.mark.filterwarnings("ignore:Query string argument")
def test_the_announced_uri_and_the_error_tag_are_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}?password={PASSWORD}")
    monkeypatch.delenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", raising=False)
    with caplog.at_level(logging.INFO, logger="dlpipe.tracking"):
        uri = tracking_location(tmp_path).uri
    assert f"sqlite:///{database}?password=***" in caplog.text and PASSWORD not in caplog.text
    assert os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] == "true"

    leaky = {"db": f"postgresql://u:{PASSWORD}@h/d", "plain": "1"}
    with pytest.raises(RuntimeError), start_run(tmp_path, "probe", "probe_stage", leaky) as run:
        run.set_tags({"note": f"copied from http://u:{PASSWORD}@h"})
        raise RuntimeError(f"cannot reach postgresql://u:{PASSWORD}@h/d")
    stored = MlflowClient(uri).get_run(run.run_id).data
    assert stored.tags["dlpipe.error"] == "RuntimeError: cannot reach postgresql://u:***@h/d"
    assert stored.params == {"db": "postgresql://u:***@h/d", "plain": "1"}
    assert PASSWORD not in str(stored.tags) and PASSWORD not in caplog.text


def test_params_hold_no_secret() -> None:
    """No key of params.yaml (or the schema) names a secret: secrets come from the environment
    (MLFLOW_TRACKING_URI, MLFLOW_TRACKING_PASSWORD, AWS_* for DVC remotes)."""
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    keys = list(_keys(params)) + list(_schema_keys(Params))
    assert len(keys) > 100
    secret = [k for k in keys if any(word in k.lower() for word in SECRET_KEY)]
    assert not secret, f"params that look like secrets (read them from the environment): {secret}"
    values = [str(v) for v in _values(params)]
    assert not [v for v in values if redact(v, secrets=()) != v]


@pytest.mark.slow
def test_a_stage_against_a_server_with_a_password_leaks_nothing(
    tmp_path: Path, mlflow_server: str
) -> None:
    (tmp_path / "project").mkdir()
    project = scratch_project(tmp_path / "project")
    (project / "prices.csv").write_text(_random_walk_csv(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(REPO / "src")
    env["MLFLOW_TRACKING_URI"] = mlflow_server.replace("//", f"//user:{PASSWORD}@", 1)
    output = ""
    for stage in ("fetch_stock_prices", "train_stock_lstm"):
        done = subprocess.run(
            [sys.executable, str(REPO / "pipeline" / f"{stage}.py")],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        output += done.stdout + done.stderr
    assert "MLflow tracking URI (MLFLOW_TRACKING_URI): http://user:***@127.0.0.1:" in output
    assert PASSWORD not in output

    client = MlflowClient(mlflow_server)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert {r.data.tags.get("dlpipe.dvc_stage") for r in runs} >= {"train_stock_lstm"}
    for run in runs:
        assert PASSWORD not in str(run.data.params) + str(run.data.tags), run.info.run_name
    versions = client.search_model_versions("name = 'dlpipe-stock_lstm'")
    assert versions and PASSWORD not in str([(v.source, v.tags) for v in versions])
    reports = [p for p in (project / "reports").rglob("*") if p.is_file()]
    assert reports
    for path in reports:
        assert PASSWORD.encode() not in path.read_bytes(), path


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """`mlflow server` on a free port of 127.0.0.1 over a fresh sqlite store, proxied artifacts."""
    port = free_port()
    command = mlflow_server_command(
        f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "artifacts", port
    )
    env = without_mlflow_settings(**MLFLOW_SERVER_ENV)
    with serving(command, port, tmp_path / "server.log", env=env) as base:
        yield base


class _Text:
    """A write-only stream that keeps what it was given."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, chunk: str) -> None:
        self.text += chunk

    def flush(self) -> None:
        pass


def _keys(tree: object, prefix: str = "") -> Iterator[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield f"{prefix}{key}"
            yield from _keys(value, f"{prefix}{key}.")


def _values(tree: object) -> Iterator[object]:
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _values(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _values(value)
    else:
        yield tree


def _schema_keys(model: type, prefix: str = "") -> Iterator[str]:
    """Every field name of the params schema (pydantic models or dataclasses, nested)."""
    fields = getattr(model, "model_fields", None) or getattr(model, "__dataclass_fields__", {})
    for name, field in fields.items():
        yield f"{prefix}{name}"
        annotation = getattr(field, "annotation", None) or getattr(field, "type", None)
        if isinstance(annotation, type) and annotation is not model:
            yield from _schema_keys(annotation, f"{prefix}{name}.")
