#!/usr/bin/env bash
# Installs the Debian packages and tools Conclave needs to build and test, if they are missing.
# Used by `make run` and `make test`; safe to run again. The desktop app's list is STACK.md's.
set -euo pipefail
packages=(
  build-essential pkg-config   # C toolchain for -sys crates
  libdbus-1-dev                # keyring's Secret Service client (libdbus-sys)
  dbus-daemon gnome-keyring    # a real Secret Service for the keyring test and headless runs
  # The desktop app (Tauri 2 on WebKitGTK).
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  curl wget file
  fonts-noto-color-emoji       # reactions render as emoji, not as empty boxes
  # The app's WebDriver test: a virtual display and WebKitWebDriver; for the notifications
  # story, a notification server to observe (python3-dbusmock, libglib2.0-bin's gdbus) and
  # another window to switch to (x11-utils' xmessage, xdotool).
  xvfb xauth webkit2gtk-driver python3-dbusmock libglib2.0-bin x11-utils xdotool
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

# The UI builds with Node (Vite 8 needs Node >= 20.19). Debian 12's own nodejs is too old, so it
# is not installed from here: say what is missing instead.
if ! node_version=$(node --version 2>/dev/null); then
  echo "Node.js is missing: install Node 20.19 or newer (with npm), then run this again." >&2
  exit 1
fi
IFS=. read -r major minor _ <<<"${node_version#v}"
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  echo "Node.js $node_version is too old for the UI: install Node 20.19 or newer." >&2
  exit 1
fi

# tauri-driver bridges WebDriver to the app (STACK.md: ~45 s to install).
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
