# Conclave: the two commands a newcomer needs are `make run` and `make test`.
.PHONY: run test deps build hub check fmt clippy

HUB_LISTEN ?= 127.0.0.1:8480
HUB_DATA   ?= .conclave/hub
HUB_DOMAIN ?= localhost

deps:
	@scripts/deps.sh

build: deps
	cargo build --workspace

## Starts a hub on 127.0.0.1 with its embedded SQLite and says how to use the CLI against it.
run: build
	@echo
	@echo "Conclave hub on http://$(HUB_LISTEN) (data in $(HUB_DATA)). In another terminal:"
	@echo "  export CONCLAVE_HUB=http://$(HUB_LISTEN)"
	@echo "  # on a machine without an OS keyring (headless): export CONCLAVE_KEYSTORE=file"
	@echo "  target/debug/conclave --home /tmp/alice register alice"
	@echo "  target/debug/conclave --home /tmp/bob register bob"
	@echo "  ROOM=\$$(target/debug/conclave --home /tmp/alice room create --name Team)"
	@echo "  target/debug/conclave --home /tmp/alice room invite \$$ROOM bob"
	@echo "  target/debug/conclave --home /tmp/bob sync"
	@echo "  target/debug/conclave --home /tmp/alice send \$$ROOM 'hello bob'"
	@echo "  target/debug/conclave --home /tmp/bob sync && target/debug/conclave --home /tmp/bob messages \$$ROOM"
	@echo
	target/debug/conclave-hub serve --listen $(HUB_LISTEN) --data $(HUB_DATA) --domain $(HUB_DOMAIN)

## All tests, including the one that needs a real Secret Service (run on a private D-Bus session).
test: deps
	cargo fmt --all -- --check
	scripts/check-pure.sh
	# The stories run the real binaries: build them first (same selection, nothing rebuilt twice).
	cargo build --workspace --bins
	scripts/with-keyring.sh cargo test --workspace -- --include-ignored

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

## Benchmarks (BENCHMARKS.md): the criterion benches, then the load tool, every figure against a
## raw baseline measured in the same run; prints one table and writes target/bench-report.md.
## BENCH_MEMBERS sizes the large room (P4); 10,000 does not fit the time budget yet.
BENCH_MEMBERS ?= 1000
.PHONY: bench
bench:
	rm -rf target/criterion target/bench target/bench-report.md
	cargo bench -p conclave-load --benches
	# `cargo bench` also built the load tool (target/release/conclave-load) with the same features.
	target/release/conclave-load throughput
	target/release/conclave-load large-room --members $(BENCH_MEMBERS)
	target/release/conclave-load report
