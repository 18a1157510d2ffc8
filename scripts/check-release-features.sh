#!/usr/bin/env bash
# Test-only behaviour (the `test-switches` features of conclave-client and conclave-hub) must not
# reach the shipped programs: the app, the CLI and the hub, built on their own as releases are.
set -euo pipefail
shipped=(-p conclave-desktop -p conclave-cli -p conclave-hub)
if cargo tree "${shipped[@]}" -e features,normal --prefix none | grep -q 'feature "test-switches"'; then
  echo "a shipped program enables a test-switches feature:"
  cargo tree "${shipped[@]}" -e features,normal -i conclave-client -i conclave-hub | grep -B2 'test-switches'
  exit 1
fi
# The check can fail: the test crate does enable them.
cargo tree -p conclave-e2e -e features --prefix none | grep -q 'feature "test-switches"' \
  || { echo "the check is broken: conclave-e2e shows no test-switches feature"; exit 1; }
echo "no shipped program can reach the test-only switches"
