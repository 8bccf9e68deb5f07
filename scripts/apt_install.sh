#!/usr/bin/env bash
# Installs Debian packages that a check needs, when this user may install packages (root, or
# sudo without a password); otherwise says which command to run, and what to do without apt.
# Called by ensure_postgres.sh and ensure_chromium.sh, which decide whether anything is missing.
# Usage: apt_install.sh "WHAT NEEDS THEM (a sentence)" "WHAT TO DO ELSEWHERE" PACKAGE...
set -euo pipefail
need=$1
elsewhere=$2
shift 2
packages="$*"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "$need (Debian: $packages)." >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y $packages" >&2
  echo "(elsewhere: $elsewhere)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$need, and there is no apt-get here: $elsewhere." >&2
  exit 1
fi
echo "Installing $packages: $need"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "$@"
