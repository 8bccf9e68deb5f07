"""`make dashboard`: optuna-dashboard on the project's study storage, answering on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tuning_helpers import read_raw, write_params

from dlpipe.tuning.study import open_study
from local_servers import free_port

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = Path(sys.executable).parent / "optuna-dashboard"
WAIT_S = 60


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8", "replace")


def test_the_make_target_serves_the_storage_on_loopback() -> None:
    recipe = (REPO / "Makefile").read_text(encoding="utf-8").split("\ndashboard:")[1]
    recipe = recipe.split("\n\n")[0]
    assert "python -m dlpipe.tuning.storage" in recipe
    # BIND_HOST is 127.0.0.1 unless set on the command line (tests/security, bind hosts)
    assert re.search(r"optuna-dashboard --host \$\(BIND_HOST\) --port \$\(DASHBOARD_PORT\)", recipe)


@pytest.mark.slow
def test_the_dashboard_starts_and_lists_the_study(project: Path) -> None:
    params = write_params(project, read_raw(project))
    study = open_study(project, params, "classifiers")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    storage = subprocess.run(
        [sys.executable, "-m", "dlpipe.tuning.storage"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert storage == str(project / "tuning" / "optuna.journal")
    port = free_port()
    server = subprocess.Popen(
        [str(DASHBOARD), "--host", "127.0.0.1", "--port", str(port), "--quiet", storage],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                status, page = _get(f"http://127.0.0.1:{port}/")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"optuna-dashboard did not answer within {WAIT_S} s")
                time.sleep(0.3)
        assert status == 200 and "<html" in page.lower()
        status, studies = _get(f"http://127.0.0.1:{port}/api/studies")
        assert status == 200 and study.study_name in studies
    finally:
        server.terminate()
        server.wait(timeout=30)
