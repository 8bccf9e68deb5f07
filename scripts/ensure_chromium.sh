#!/usr/bin/env bash
# Debian's Chromium and its chromedriver, for the report's browser check (`make browser`, called
# by `make test` and `make check-report`). Installs them when missing and this user may install
# packages (root, or sudo without a password); otherwise says which command to run. Selenium
# drives these binaries and never downloads its own.
set -euo pipefail
chromium=${CHROMIUM_BINARY:-/usr/bin/chromium}
driver=${CHROMEDRIVER:-/usr/bin/chromedriver}
if [ -x "$chromium" ] && [ -x "$driver" ]; then
  exit 0
fi
packages="chromium chromium-driver"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "The report's browser check needs $chromium and $driver (Debian: $packages)." >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y $packages" >&2
  echo "(elsewhere: set CHROMIUM_BINARY and CHROMEDRIVER to a Chromium and its matching driver)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install Chromium and its chromedriver with this system's packages," >&2
  echo "then set CHROMIUM_BINARY and CHROMEDRIVER to their paths." >&2
  exit 1
fi
echo "Installing $packages for the report's browser check"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q $packages
if ! [ -x "$chromium" ] || ! [ -x "$driver" ]; then
  echo "Installed $packages but $chromium or $driver is still missing" >&2
  exit 1
fi
