# Conclave: the two commands a newcomer needs are `make run` and `make test`.
.PHONY: run test deps build ui hub check fmt clippy deb deb-test desktop-numbers fuzz fuzz-smoke

HUB_LISTEN ?= 127.0.0.1:8480
HUB_DATA   ?= .conclave/hub
HUB_DOMAIN ?= localhost
# The desktop app's data directory under `make run` (an installed app uses the OS data directory).
APP_HOME   ?= .conclave/desktop

deps:
	@scripts/deps.sh

# The UI's npm packages, reinstalled only when the lock file changed.
ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

## The web UI, built into ui/dist (the app binary embeds it).
ui: deps ui/node_modules/.package-lock.json
	cd ui && npm run build

build: deps ui
	cargo build --workspace

## Starts a hub on 127.0.0.1 with its embedded SQLite in the background and opens the desktop app
## on it in demo mode (two bot members join you in a room called Demo); on a machine without a
## display the hub stays in the foreground for the CLI.
run: build
	@mkdir -p $(HUB_DATA) $(APP_HOME)
	@echo
	@echo "Conclave hub on http://$(HUB_LISTEN) (data in $(HUB_DATA)). The CLI against it, in another terminal:"
	@echo "  export CONCLAVE_HUB=http://$(HUB_LISTEN)"
	@echo "  # on a machine without an OS keyring (headless): export CONCLAVE_KEYSTORE=file"
	@echo "  target/debug/conclave --home /tmp/bob register bob"
	@echo "  target/debug/conclave --home /tmp/bob sync        # after the app invited bob"
	@echo "  target/debug/conclave --home /tmp/bob room list"
	@echo "  target/debug/conclave --home /tmp/bob send ROOM 'hello from the CLI'"
	@echo
	@target/debug/conclave-hub serve --listen $(HUB_LISTEN) --data $(HUB_DATA) --domain $(HUB_DOMAIN) & hub=$$!; \
	trap 'kill $$hub 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 50); do curl -sf http://$(HUB_LISTEN)/health >/dev/null && break; sleep 0.1; done; \
	if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	  echo "No display here, so the app is not started; the hub keeps running (Ctrl-C stops it)."; \
	  echo "To see the app on a headless machine: xvfb-run -a -s '-screen 0 1280x800x24' env CONCLAVE_HOME=$(APP_HOME) target/debug/conclave-desktop --demo"; \
	  wait $$hub; \
	else \
	  echo "Opening the desktop app in demo mode (data in $(APP_HOME)): sign up, and the bots ada and max"; \
	  echo "join you in a room called Demo. Closing the window stops the hub."; \
	  CONCLAVE_HOME=$(APP_HOME) target/debug/conclave-desktop --demo; \
	fi

## All tests, including the one that needs a real Secret Service (run on a private D-Bus session)
## and the desktop app's WebDriver test (on a virtual display).
test: deps
	cargo fmt --all -- --check
	scripts/check-pure.sh
	scripts/check-release-features.sh
	scripts/check-module-cycles.py --self-test
	scripts/check-module-cycles.py
	cd ui && npm ci --no-audit --no-fund
	cd ui && npm run check
	# The app binary embeds the built UI.
	cd ui && npm run build
	# The stories run the real binaries: build them first (same selection, nothing rebuilt twice).
	cargo build --workspace --bins
	scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace -- --include-ignored
	# The tests regenerated the UI's TypeScript bindings from the Rust types: they must be committed.
	git diff --exit-code -- ui/src/ipc/bindings.ts

clippy: ui
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

## The Debian package (release build, ~7 min cold on 2 cores): target/release/bundle/deb/*.deb
deb: deps ui/node_modules/.package-lock.json
	ui/node_modules/.bin/tauri build --bundles deb

## The packaging test: installs the .deb with dpkg (as root, or with sudo), starts the installed
## app headless and checks that its window loads the UI, then removes the package. CI runs it
## after `make test` (.ci/run); `make test` does not, since it installs a system package.
deb-test: deb
	scripts/deb-test.sh

## The desktop app's numbers (BENCHMARKS.md "Desktop app"): start to interactive, idle memory,
## opening a room of 10,000 messages. DESKTOP_APP picks the build to measure (the release one
## that `make deb` made, by default the debug one). The on-screen start needs ImageMagick.
DESKTOP_APP ?= target/debug/conclave-desktop
desktop-numbers: deps ui
	cargo build --workspace --bins --examples
	CONCLAVE_DESKTOP_APP=$(abspath $(DESKTOP_APP)) xvfb-run -a -s "-screen 0 1280x800x24" target/debug/examples/desktop_numbers

## Benchmarks (BENCHMARKS.md): the criterion benches, then the load tool, every figure against a
## raw baseline measured in the same run; prints one table and writes target/bench-report.md.
## BENCH_MEMBERS sizes the large room (P4): the issue's 10,000 takes ~5 min on 2 cores.
BENCH_MEMBERS ?= 10000
.PHONY: bench
bench:
	rm -rf target/criterion target/bench target/bench-report.md
	cargo bench -p conclave-load --benches
	# `cargo bench` also built the load tool (target/release/conclave-load) with the same features.
	target/release/conclave-load throughput
	target/release/conclave-load large-room --members $(BENCH_MEMBERS)
	target/release/conclave-load report

## Fuzzing (fuzz/): every decoder of outside bytes in crates/mimi, every hub request and every
## client queue entry has a libFuzzer target, run for FUZZ_SECONDS each (cargo-fuzz, installed if
## missing; the hub and the client are built with ASan too: ~30 min from scratch on one core).
## Fails if any target crashes, leaving the input in fuzz/artifacts/. `make fuzz-smoke` (15 s a
## target) is CI's.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

fuzz-smoke:
	FUZZ_SECONDS=15 scripts/fuzz.sh
