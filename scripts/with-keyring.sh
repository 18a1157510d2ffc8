#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service (gnome-keyring) on a private D-Bus session,
# so that the OS keyring works on a headless machine (STACK.md "Keyring"). If a session bus is
# already there (a desktop), the command runs as it is.
set -euo pipefail
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${CI:-}" ]; then
  exec "$@"
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
KR_HOME="$(mktemp -d)"
export KR_HOME
exec dbus-run-session -- bash -c '
  echo -n conclave | HOME="$KR_HOME" gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' bash "$@" 2> >(grep -v "Failed to set fd limit" >&2)
