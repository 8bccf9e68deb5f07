"""A private PostgreSQL cluster for the scale-out tests: Debian's server binaries, `initdb` and
`pg_ctl` in a temporary folder, listening on 127.0.0.1 on a free port, stopped and removed after.

initdb refuses to run as root, so a root test process runs the server binaries as the
`postgres` user that Debian's package creates (`runuser -u postgres`), in a folder it owns;
any other user runs them directly. `scripts/ensure_postgres.sh` installs the package.

Connections go over TCP with a password (scram-sha-256), as a server on another machine would
be reached. fsync is off: the cluster is thrown away, and syncing costs seconds on a busy disk.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local_servers import free_port

log = logging.getLogger(__name__)

SUPERUSER = "dlpipe"
SERVER_USER = os.environ.get("DLPIPE_PG_USER", "postgres")  # who runs the server under root
INSTALL_HINT = "run `bash scripts/ensure_postgres.sh` (Debian: apt-get install postgresql)"


@dataclass(frozen=True)
class PostgresCluster:
    """A running cluster: where it listens and the superuser's password."""

    bin_dir: Path
    port: int
    password: str
    as_user: tuple[str, ...]  # the command prefix that runs server binaries as their user

    def url(self, database: str, with_password: bool = True) -> str:
        """The SQLAlchemy URL of `database` (what MLflow and Optuna are given); without the
        password, libpq finds it in a password file (`write_pgpass`)."""
        user = f"{SUPERUSER}:{self.password}" if with_password else SUPERUSER
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def write_pgpass(self, path: Path) -> Path:
        """A libpq password file for this cluster (what ~/.pgpass or PGPASSFILE holds), so a URL
        in params.yaml needs no password; libpq ignores one that others may read."""
        path.write_text(f"127.0.0.1:{self.port}:*:{SUPERUSER}:{self.password}\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    def create_database(self, name: str) -> str:
        """Create database `name` (letters, digits, underscores); returns its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"database name {name!r}: use lower-case letters, digits and _")
        self.run_sql("postgres", f"CREATE DATABASE {name}")
        return self.url(name)

    def run_sql(self, database: str, sql: str) -> list[tuple]:
        """Rows of `sql` run through psql over TCP (the server's own client, no driver)."""
        done = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                *f"-h 127.0.0.1 -p {self.port} -U {SUPERUSER} -d {database} -X -A -t".split(),
                *("-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql),
            ],
            env={**os.environ, "PGPASSWORD": self.password},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql on {database} failed for {sql!r}: {done.stderr.strip()}")
        return [tuple(line.split("\t")) for line in done.stdout.splitlines() if line]


def server_bin_dir() -> Path:
    """The newest `/usr/lib/postgresql/<version>/bin` (Debian keeps initdb off PATH), else the
    folder of an initdb on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise FileNotFoundError(
        f"no PostgreSQL initdb in /usr/lib/postgresql/*/bin or on PATH: {INSTALL_HINT}"
    )


def _server_user() -> tuple[tuple[str, ...], int | None, int | None]:
    """(command prefix, uid, gid) that server binaries run as: root hands them to SERVER_USER."""
    if os.geteuid() != 0:
        return (), None, None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise RuntimeError(
            f"running as root, and initdb refuses root; there is no user {SERVER_USER!r} to run "
            f"it as: {INSTALL_HINT}, or set DLPIPE_PG_USER to an unprivileged user"
        ) from None
    return ("runuser", "-u", SERVER_USER, "--"), entry.pw_uid, entry.pw_gid


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """initdb + pg_ctl start in a new temporary folder; pg_ctl stop and removal afterwards."""
    bin_dir = server_bin_dir()
    as_user, uid, gid = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="dlpipe-postgres-"))
    data, logfile, pwfile = folder / "data", folder / "server.log", folder / "password"
    password = secrets.token_hex(12)
    pwfile.write_text(password + "\n", encoding="utf-8")
    if uid is not None:
        for path in (folder, pwfile):
            os.chown(path, uid, gid)

    def server(*args: str, timeout: float = 120) -> None:
        done = subprocess.run(
            [*as_user, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()}\n{tail}")

    port = free_port()
    started = False
    try:
        server(
            str(bin_dir / "initdb"),
            *("-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}", "-E", "UTF8"),
            *["--auth-local=trust", "--auth-host=scram-sha-256", "--no-locale", "--no-sync"],
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        server(
            str(bin_dir / "pg_ctl"),
            *("-D", str(data), "-l", str(logfile), "-o", options, "-w", "-t", "60", "start"),
        )
        started = True
        log.info("PostgreSQL %s on 127.0.0.1:%d in %s", bin_dir.parent.name, port, folder)
        yield PostgresCluster(bin_dir=bin_dir, port=port, password=password, as_user=as_user)
    finally:
        if started:
            server(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
