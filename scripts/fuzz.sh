#!/usr/bin/env bash
# Fuzzes every decoder of outside bytes (the targets in fuzz/fuzz_targets/: the decoders in `mimi`,
# the hub's requests, a client's queue entries), each for FUZZ_SECONDS (default 60), one after the
# other; FUZZ_TARGETS="content uri" picks some. Exits
# non-zero if any target crashes: the input is in fuzz/artifacts/<target>/ and
# `cargo fuzz run <target> fuzz/artifacts/<target>/<file>` replays it (with RUSTC_BOOTSTRAP=1).
#
# `make fuzz` runs it for 60 s a target, `make fuzz-smoke` (CI) for 15 s.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
# cargo-fuzz builds with nightly-only rustc flags (-Zsanitizer=address and the sancov passes).
# Only the stable toolchain can be installed here, which takes them under RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --version 0.13.2
fi

targets=${FUZZ_TARGETS:-$(cargo fuzz list)}
# Every target in one build (ASan, debug assertions and overflow checks: the cargo-fuzz
# defaults) before any run; each `cargo fuzz run` below then finds its binary up to date.
echo "fuzz: building the targets"
if ! cargo fuzz build 2>&1 | { grep -v '^ *Compiling ' || true; }; then
    echo "fuzz: the build failed" >&2
    exit 1
fi

logs=fuzz/target/logs
mkdir -p "$logs"
passed=0
failed=()
for t in $targets; do
    # New inputs go to a working corpus under fuzz/target (not in git); the committed seeds in
    # fuzz/corpus/<target> are only read.
    work=fuzz/target/corpus/$t
    mkdir -p "$work" "fuzz/corpus/$t"
    # A decoder that takes 10 s over one input, or allocates 256 MiB at once for one of a few KiB
    # (libFuzzer's -max_len), is a denial of service: both count as crashes.
    if cargo fuzz run "$t" "$work" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=256 -print_final_stats=1 \
        >"$logs/$t.log" 2>&1; then
        status=ok
        passed=$((passed + 1))
    else
        status=CRASHED
        failed+=("$t")
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$logs/$t.log" | tail -1)
    printf 'fuzz: %-11s %s  %s s, %s runs, %s exec/s, %s\n' \
        "$t" "$status" "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-cov: ?}"
    if [ "$status" = CRASHED ]; then
        # What broke (a panic, a sanitizer report, a timeout or an allocation), and the input.
        first=$(grep -n -m1 -E 'panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|==ERROR' \
            "$logs/$t.log" | cut -d: -f1)
        echo "---- $logs/$t.log:"
        if [ -n "$first" ]; then sed -n "${first},$((first + 15))p" "$logs/$t.log"; fi
        grep -A2 -E '^Failing input:|Test unit written to' "$logs/$t.log" || tail -n 30 "$logs/$t.log"
        echo "----"
    fi
done

echo "fuzz: ${passed} passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
