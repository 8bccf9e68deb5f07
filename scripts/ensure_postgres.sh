#!/usr/bin/env bash
# Debian's PostgreSQL server binaries, for the scale-out tests (`make postgres`, called by
# `make test` and by .ci/run): the tests start a private cluster with initdb and pg_ctl in a
# temporary folder (tests/postgres_cluster.py); no system cluster is started or needed.
# Installs `postgresql` when initdb is missing and this user may install packages (root, or sudo
# without a password); otherwise says which command to run. The package also creates the
# `postgres` user, which the tests run the cluster as when they run as root (initdb refuses root).
set -euo pipefail
found() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
if found && { [ "$(id -u)" -ne 0 ] || id -u postgres >/dev/null 2>&1; }; then
  exit 0
fi
packages="postgresql"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "The scale-out tests need PostgreSQL's initdb and pg_ctl (Debian: $packages)." >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y $packages" >&2
  echo "(elsewhere: put a PostgreSQL server's bin folder, with initdb and pg_ctl, on PATH)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install a PostgreSQL server with this system's packages and put its" >&2
  echo "bin folder (initdb, pg_ctl) on PATH." >&2
  exit 1
fi
echo "Installing $packages for the scale-out tests"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q $packages
if ! found; then
  echo "Installed $packages but initdb is still missing (looked on PATH and in" >&2
  echo "/usr/lib/postgresql/*/bin)" >&2
  exit 1
fi
