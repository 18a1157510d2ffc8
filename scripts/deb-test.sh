#!/usr/bin/env bash
# The packaging test (issue 7 §8): installs the .deb that `make deb` built with `dpkg -i`, checks
# what it put on the system, starts the *installed* binary headless (Xvfb) through tauri-driver
# and WebKitWebDriver, and checks that its window loads the UI (the onboarding form of a fresh
# data directory, the window title), then removes the package. A screenshot of the window is
# saved as target/tmp/deb-test.png.
#
# Needs root (or sudo) for dpkg, and what scripts/deps.sh installs (Xvfb, WebKitWebDriver,
# tauri-driver). Run by `make deb-test`, which CI runs after `make test` (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
bin=/usr/bin/conclave-desktop
patience=30

tauri_driver=$(command -v tauri-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver")
[ -x "$tauri_driver" ] || { echo "deb-test: tauri-driver is missing: run scripts/deps.sh" >&2; exit 1; }
debs=("${CARGO_TARGET_DIR:-target}"/release/bundle/deb/*.deb)
[ -f "${debs[0]}" ] || { echo "deb-test: no .deb in ${CARGO_TARGET_DIR:-target}/release/bundle/deb: run make deb" >&2; exit 1; }
deb=$(ls -t "${debs[@]}" | head -n 1)
package=$(dpkg-deb -f "$deb" Package)
echo "deb-test: $deb (package $package, $(du -h "$deb" | cut -f1))"
dpkg-deb -f "$deb" Depends | sed 's/^/deb-test: depends on /'
if dpkg -s "$package" >/dev/null 2>&1; then
  echo "deb-test: $package is already installed; not touching it" >&2
  exit 1
fi

work=$(mktemp -d)
driver_pid=""
cleanup() {
  status=$?
  if [ -n "$driver_pid" ]; then
    kill -TERM -- "-$driver_pid" 2>/dev/null || true
    sleep 0.5
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
  fi
  if dpkg -s "$package" >/dev/null 2>&1; then
    $sudo dpkg -r "$package" >/dev/null
    echo "deb-test: removed $package"
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

# Install; a missing dependency is fetched with apt-get -f, as a user's apt would.
started=$(date +%s%N)
if ! $sudo dpkg -i "$deb"; then
  echo "deb-test: installing the missing dependencies"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -f install -y -qq --no-install-recommends
fi
dpkg -s "$package" | grep -q '^Status: install ok installed' || { echo "deb-test: $package is not installed" >&2; exit 1; }
echo "deb-test: installed in $(( ($(date +%s%N) - started) / 1000000 )) ms"

# What the package put on the system.
[ -x "$bin" ] || { echo "deb-test: $bin is missing" >&2; exit 1; }
desktop=$(dpkg -L "$package" | grep '^/usr/share/applications/.*\.desktop$' | head -n 1)
[ -n "$desktop" ] || { echo "deb-test: no .desktop file" >&2; exit 1; }
grep -q "^Exec=conclave-desktop" "$desktop" || { echo "deb-test: $desktop does not start conclave-desktop" >&2; exit 1; }
dpkg -L "$package" | grep -q '^/usr/share/icons/hicolor/.*/apps/.*\.png$' || { echo "deb-test: no icons" >&2; exit 1; }
dpkg -L "$package" | grep -q '^/usr/share/metainfo/.*\.metainfo\.xml$' || { echo "deb-test: no AppStream metadata" >&2; exit 1; }
echo "deb-test: $bin, $desktop, icons and metadata are in place"

# Start the installed binary under tauri-driver (in a process group of its own, with
# WebKitWebDriver and the app under it) on a virtual display.
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/home" target/tmp
CONCLAVE_HOME="$work/home" DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/conclave-deb-test" NO_AT_BRIDGE=1 \
  setsid "$tauri_driver" --port "$port" --native-port "$((port + 1))" >"$work/driver.log" 2>&1 &
driver_pid=$!
wd="http://127.0.0.1:$port"
for _ in $(seq $((patience * 10))); do
  curl -sf "$wd/status" >/dev/null 2>&1 && break
  sleep 0.1
done

# WebDriver over curl: a session starts the app; then wait for the onboarding form.
post() { curl -sS -X POST -H 'Content-Type: application/json' -d "$2" "$wd$1"; }
value() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p'; }
caps='{"capabilities":{"alwaysMatch":{"browserName":"wry","tauri:options":{"application":"'"$bin"'"}}}}'
session=""
for _ in 1 2 3; do
  session=$(post /session "$caps" | value sessionId) && [ -n "$session" ] && break
  sleep 1
done
[ -n "$session" ] || { echo "deb-test: no WebDriver session on $bin" >&2; cat "$work/driver.log" >&2; exit 1; }
found=""
deadline=$(( $(date +%s) + patience ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if post "/session/$session/element" '{"using":"css selector","value":"input[aria-label=\"Hub URL\"]"}' \
    | grep -q 'element-6066-11e4-a52e-4f735466cecf'; then
    found=yes
    break
  fi
  sleep 0.2
done
title=$(curl -sS "$wd/session/$session/title" | value value)
curl -sS "$wd/session/$session/screenshot" | value value | base64 -d >target/tmp/deb-test.png || true
curl -sS -X DELETE "$wd/session/$session" >/dev/null || true
[ -n "$found" ] || { echo "deb-test: the installed app's window did not show the onboarding form" >&2; cat "$work/driver.log" >&2; exit 1; }
[ "$title" = "Conclave" ] || { echo "deb-test: window title is '$title', not 'Conclave'" >&2; exit 1; }
echo "deb-test: the installed app's window loaded the UI (title '$title'); screenshot target/tmp/deb-test.png"
