"""Real servers on 127.0.0.1 for the tests: a free port, and a command served until a block ends.

Every server runs in its own process group (an `mlflow server` or `make ui` starts children),
writes to a log file (a pipe nobody reads could fill up and stall it), and counts as started
when its health URL answers 200; a server that exits or stays silent fails the test with the
end of its log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def without_mlflow_settings(**extra: str) -> dict[str, str]:
    """This environment minus every MLFLOW_* variable (the test says where runs go), plus
    `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return {**env, **extra}


def mlflow_server_command(backend: str, artifacts: Path, port: int) -> list[str]:
    """`mlflow server` over `backend` with proxied artifacts in `artifacts`, on loopback."""
    return [
        *(sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend),
        *("--artifacts-destination", str(artifacts), "--serve-artifacts"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
    ]


MLFLOW_SERVER_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no GenAI job consumers


@contextmanager
def serving(
    command: Sequence[str],
    port: int,
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    health: str = "/health",
    timeout_s: float = 120,
) -> Iterator[str]:
    """Run `command` (listening on `port`) until the block ends; yields `http://127.0.0.1:port`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:  # the server keeps its own copy of the file
        server = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while not _answers(base + health):
            if server.poll() is not None or time.monotonic() > deadline:
                said = log.read_text(errors="replace")[-3000:]
                raise AssertionError(f"{' '.join(command[:4])} did not answer on {base}: {said}")
            time.sleep(0.3)
        yield base
    finally:
        _stop(server)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the whole group, SIGKILL if it lingers."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
