#!/usr/bin/env bash
# Installs the Debian packages Conclave needs to build and test, if they are missing.
# Used by `make run` and `make test`; safe to run again.
set -euo pipefail
packages=(
  build-essential pkg-config   # C toolchain for -sys crates
  libdbus-1-dev                # keyring's Secret Service client (libdbus-sys)
  dbus-daemon gnome-keyring    # a real Secret Service for the keyring test and headless runs
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
