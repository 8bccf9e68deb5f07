#!/usr/bin/env bash
# Debian's PostgreSQL server binaries, for the scale-out tests (`make postgres`, called by
# `make test` and by .ci/run): the tests start a private cluster with initdb and pg_ctl in a
# temporary folder (tests/postgres_cluster.py); no system cluster is started or needed.
# Installs `postgresql` when initdb is missing (scripts/apt_install.sh: when this user may
# install packages; otherwise it says which command to run). The package also creates the
# `postgres` user, which the tests run the cluster as when they run as root (initdb refuses root).
set -euo pipefail
found() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
if found && { [ "$(id -u)" -ne 0 ] || id -u postgres >/dev/null 2>&1; }; then
  exit 0
fi
bash "$(dirname "$0")/apt_install.sh" \
  "The scale-out tests need PostgreSQL's initdb and pg_ctl" \
  "put a PostgreSQL server's bin folder, with initdb and pg_ctl, on PATH" \
  postgresql
if ! found; then
  echo "Installed postgresql but initdb is still missing (looked on PATH and in" >&2
  echo "/usr/lib/postgresql/*/bin)" >&2
  exit 1
fi
