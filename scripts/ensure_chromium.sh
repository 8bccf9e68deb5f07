#!/usr/bin/env bash
# Debian's Chromium and its chromedriver, for the report's browser check (`make browser`, called
# by `make test` and `make check-report`). Installs them when missing (scripts/apt_install.sh:
# when this user may install packages; otherwise it says which command to run). Selenium drives
# these binaries and never downloads its own.
set -euo pipefail
chromium=${CHROMIUM_BINARY:-/usr/bin/chromium}
driver=${CHROMEDRIVER:-/usr/bin/chromedriver}
if [ -x "$chromium" ] && [ -x "$driver" ]; then
  exit 0
fi
bash "$(dirname "$0")/apt_install.sh" \
  "The report's browser check needs $chromium and $driver" \
  "set CHROMIUM_BINARY and CHROMEDRIVER to a Chromium and its matching driver" \
  chromium chromium-driver
if ! [ -x "$chromium" ] || ! [ -x "$driver" ]; then
  echo "Installed chromium and chromium-driver but $chromium or $driver is still missing" >&2
  exit 1
fi
