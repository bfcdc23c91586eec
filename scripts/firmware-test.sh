#!/usr/bin/env bash
# Builds the firmware, runs it and its on-target tests under QEMU
# (mps2-an386), and fails if learning does not meet its targets.
#
# Idempotent setup for a fresh Debian machine: the thumbv7em-none-eabihf
# Rust target and qemu-system-arm (apt) are installed only if missing.
# defmt-print is NOT installed (it takes minutes to build): the verdicts
# come from exit codes, and the firmware prints its plain-text summary
# lines (including the tests' `N passed, N failed`) over semihosting stderr.
# If defmt-print is on PATH, firmware/qemu-run.sh decodes the defmt log too.
#
# Checks:
#   1. src/reference.rs and the embedded model models/xor-l5-partial.hinf
#      are what firmware/refgen generates now (host f32)
#   2. the firmware learns XOR, continues the host-trained XOR model in the
#      host's number of epochs, and learns the calibration curve (exit code 0)
#   3. the on-target tests pass (forward, Jacobian, g-EHF vs host, model
#      load / corrupted / truncated copies, ...)
#   4. an injected panic and an injected HardFault end with a failure code
#   5. the STM32F411 (probe-rs) build still compiles; clippy (firmware and
#      refgen) and rustfmt are clean
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fw="$root/firmware"

as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

# --- setup -------------------------------------------------------------------
if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    rustup target add thumbv7em-none-eabihf
fi
if ! command -v qemu-system-arm >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-arm
fi
qemu-system-arm --version | head -n 1

# --- checks ------------------------------------------------------------------
passed=0
failed=0
failures=()
check() {
    local name="$1"
    shift
    echo "=== firmware check: $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "=== ok: $name"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== FAILED: $name"
    fi
}
expect_failure() {
    # Runs "$@" and succeeds only if it exits non-zero without timing out.
    local status=0
    "$@" || status=$?
    if [[ $status == 0 ]]; then
        echo "expected a failure exit code, got 0"
        return 1
    fi
    if [[ $status == 124 || $status == 137 ]]; then
        echo "timed out instead of exiting"
        return 1
    fi
    echo "exit status $status, as expected"
}

reference_is_fresh() {
    (cd "$root" && cargo run --release --quiet --manifest-path firmware/refgen/Cargo.toml \
        -- --check firmware/src/reference.rs firmware/models/xor-l5-partial.hinf)
}
run_firmware() { (cd "$fw" && cargo run --release); }
run_on_target_tests() { (cd "$fw" && cargo test --release); }
panic_exits_nonzero() {
    (cd "$fw" && HINF_QEMU_TIMEOUT=30 expect_failure cargo run --release --features inject-panic)
}
hardfault_exits_nonzero() {
    (cd "$fw" && HINF_QEMU_TIMEOUT=30 expect_failure cargo run --release --features inject-hardfault)
}
board_build() {
    (cd "$fw" && cargo build --release --no-default-features --features stm32f411)
}
clippy_clean() {
    if ! cargo clippy --version >/dev/null 2>&1; then
        echo "clippy not installed: skipped"
        return 0
    fi
    (cd "$fw" && cargo clippy --release --all-targets -- -D warnings) &&
        # refgen is a host program: run from the root, outside firmware/.cargo.
        (cd "$root" && cargo clippy --release --all-targets --quiet \
            --manifest-path firmware/refgen/Cargo.toml -- -D warnings)
}

formatted() {
    if ! cargo fmt --version >/dev/null 2>&1; then
        echo "rustfmt not installed: skipped"
        return 0
    fi
    (cd "$fw" && cargo fmt --check) && (cd "$fw/refgen" && cargo fmt --check)
}

check "reference values and embedded model are fresh" reference_is_fresh
check "firmware learns (XOR, host model, calibration)" run_firmware
check "on-target tests" run_on_target_tests
check "panic exits non-zero" panic_exits_nonzero
check "HardFault exits non-zero" hardfault_exits_nonzero
check "STM32F411 build" board_build
check "clippy" clippy_clean
check "rustfmt" formatted

if [[ $failed -gt 0 ]]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "firmware: $passed passed, $failed failed"
[[ $failed == 0 ]]
