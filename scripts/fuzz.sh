#!/usr/bin/env bash
# Runs the core's cargo-fuzz targets (core/fuzz) for a bounded time each.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Default: 60 s for each of `step` and `model_load`. Needs a nightly
# toolchain and cargo-fuzz (installed here if missing:
# `cargo install cargo-fuzz --locked`). Not part of the default test
# command (CI time). A crash leaves its input in
# core/fuzz/artifacts/<target>/; fix it and add the input as a regression
# test (core/tests/fuzz_regressions.rs).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${1:-60}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(step model_load)
fi

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd "$root/core"
for t in "${targets[@]}"; do
    echo "== fuzzing $t for ${secs}s"
    cargo +nightly fuzz run "$t" -j 1 -- -max_total_time="$secs" -max_len=4096
done
echo "fuzz: ${#targets[@]} targets ran ${secs}s each without a crash"
