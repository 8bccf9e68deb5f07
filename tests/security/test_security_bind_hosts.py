"""Servers bind to 127.0.0.1 by default: `make ui`, `make serve`, `make dashboard` and the gallery
server `dlpipe crawl` starts.

The Makefile recipes are read as make expands them (`make -n`, the venv stamp taken as up to
date so nothing is installed or run); only `BIND_HOST=...` on the command line opens a server to
the network, never the environment. Every socket address in src/ is the literal 127.0.0.1. Then
two servers start for real (optuna-dashboard from its recipe, the crawl's gallery server) and
their listening sockets are checked with psutil.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import optuna
import psutil
import pytest

from dlpipe.crawling.gallery_server import serve_gallery
from local_servers import free_port

REPO = Path(__file__).resolve().parents[2]
SERVER_TARGETS = ("ui", "serve", "dashboard")
HOST_FLAG = re.compile(r"(?:--host|-h)\s+(\S+)")
LOOPBACK = "127.0.0.1"
ADDRESS = re.compile(r"[\d.]*|localhost|[\da-fA-F:]*")  # "" and "0.0.0.0" are every interface
# Calls whose `host=` is a listening address; a record of *which* host ran a process
# (`Owner(host=socket.gethostname())`, the stale-run check) is not a server.
SERVER_CALL = re.compile(r"(?i).*(serve|server|listen|bind|run)")


def recipe(target: str, *overrides: str, env: dict[str, str] | None = None) -> str:
    """What `make target` would run, expanded; the venv stamp counts as up to date."""
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "-o", ".venv/.installed", target, *overrides],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("target", SERVER_TARGETS)
def test_each_server_recipe_binds_to_loopback(target: str) -> None:
    assert HOST_FLAG.findall(recipe(target)) == [LOOPBACK]
    # The environment cannot open it (zsh sets HOST; a stray BIND_HOST is just as easy).
    hostile = {"HOST": "0.0.0.0", "BIND_HOST": "0.0.0.0", "MLFLOW_HOST": "0.0.0.0"}
    assert HOST_FLAG.findall(recipe(target, env=hostile)) == [LOOPBACK]
    # Only an explicit command-line override does.
    assert HOST_FLAG.findall(recipe(target, "BIND_HOST=0.0.0.0")) == ["0.0.0.0"]


def test_no_recipe_starts_a_server_without_the_host_flag() -> None:
    """Any recipe line that runs a server names --host/-h $(BIND_HOST)."""
    starts_server = re.compile(r"mlflow (?:ui|server|models serve)|optuna-dashboard|http\.server")
    lines = (REPO / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    recipes = [line for line in lines if not line.lstrip().startswith("#")]
    servers = [line for line in recipes if starts_server.search(line)]
    assert len(servers) == len(SERVER_TARGETS)
    for line in servers:
        assert HOST_FLAG.findall(line) == ["$(BIND_HOST)"], line


def test_every_server_in_the_source_binds_to_loopback() -> None:
    """Any socket address dlpipe itself names (an `(address, port)` pair, `sock.bind(...)`,
    `*HTTPServer(...)`, a `host=` argument) is the literal 127.0.0.1."""
    found: list[str] = []
    for path in sorted((REPO / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            host = next((k.value for k in node.keywords if k.arg == "host"), None)
            if not SERVER_CALL.fullmatch(name):
                host = None
            address = node.args[0] if node.args else None
            if host is None and isinstance(address, ast.Tuple) and len(address.elts) == 2:
                first = address.elts[0]  # an (address, port) pair, e.g. super().__init__((...))
                value = first.value if isinstance(first, ast.Constant) else None
                if isinstance(value, str) and ADDRESS.fullmatch(value):
                    host = first
            if host is None and (name.endswith("HTTPServer") or name == "bind") and address:
                host = address
            if host is not None or name.endswith("HTTPServer") or name in ("bind", "run_server"):
                where = f"{path.relative_to(REPO)}:{node.lineno}"
                found.append(f"{where} {ast.unparse(host) if host is not None else '?'}")
    assert found, "the scan found no server at all (the gallery server binds one)"
    assert all(entry.endswith(f"'{LOOPBACK}'") for entry in found), found


def _listening(pid: int) -> set[str]:
    """The addresses process `pid` (or a child) listens on."""
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {
        c.laddr.ip
        for p in processes
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }


def test_the_dashboard_recipe_listens_on_loopback_only(tmp_path: Path) -> None:
    journal = tmp_path / "journal.log"
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    optuna.create_study(storage=storage, study_name="probe")
    line = next(x for x in recipe("dashboard", "DASHBOARD_PORT=0").splitlines() if "optuna" in x)
    command = shlex.split(line.strip().replace('"$storage"', shlex.quote(str(journal))))
    command[0] = str(Path(sys.executable).with_name("optuna-dashboard"))
    command[command.index("--port") + 1] = str(free_port())
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (addresses := _listening(server.pid)) and time.monotonic() < deadline:
            assert server.poll() is None, "optuna-dashboard exited"
            time.sleep(0.2)
        assert addresses == {LOOPBACK}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_crawl_gallery_server_listens_on_loopback_only(tmp_path: Path) -> None:
    (tmp_path / "someone").mkdir()
    with serve_gallery(tmp_path) as base_url:
        assert base_url.startswith(f"http://{LOOPBACK}:")
        assert LOOPBACK in _listening(os.getpid())
        assert "0.0.0.0" not in _listening(os.getpid())
