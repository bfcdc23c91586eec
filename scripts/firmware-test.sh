#!/usr/bin/env bash
# Builds the firmware, runs it and its on-target tests under QEMU, and fails
# if learning does not meet its targets: the default build on mps2-an386,
# and the STM32F405 board ELF (stm32f4xx-hal; the ELF `cargo run-f405`
# flashes with probe-rs) on netduinoplus2, QEMU's STM32F405 model.
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
#      host's number of epochs, learns the calibration curve, and learns XOR
#      at L = 101 with the bounded-memory window like the host, bit for bit
#      (exit code 0)
#   3. the on-target tests pass (forward, Jacobian, g-EHF vs host, model
#      load / corrupted / truncated copies, ...; at L = 101: XOR like the
#      host, injected bad samples rejected with the learner unchanged)
#   4. an injected panic and an injected HardFault end with a failure code
#   5. 2-4 again for the STM32F405 ELF under netduinoplus2 (128 KiB of RAM,
#      as linked for the chip), which also learns the calibration curve at
#      L = 101 to its target through a stream with injected bad samples
#      (~52 500 steps: 1.5-3 minutes of emulation), and that ELF is byte
#      for byte the one the probe-rs configuration builds
#   6. the STM32F411 ELF builds and, as a smoke test, runs to its verdict
#      under netduinoplus2 (an STM32F405 model, not an F411 one: same core,
#      same RCC/GPIOA addresses, the F411's smaller memory map fits),
#      including its deep XOR and calibration (with injected bad samples)
#      at L = 165 like the host, bit for bit (~2 minutes of emulation)
#   7. the Cortex-M7 build (feature mps2-an500: RAM capped at 1 MiB, the
#      deep learner at L = 1001, N_w = 27 466) learns XOR under QEMU
#      mps2-an500 like the host, bit for bit (~10 s of emulation)
#   8. clippy for every board feature (and refgen) and rustfmt are clean
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
    local name="$1" start=$SECONDS
    shift
    echo "=== firmware check: $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "=== ok: $name ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== FAILED: $name ($((SECONDS - start)) s)"
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
# The STM32F405 ELF under QEMU netduinoplus2 (boards/stm32f405/qemu.toml
# sets HINF_QEMU_MACHINE for ./qemu-run.sh).
f405=(--release --no-default-features --features stm32f405)
f405_qemu=(--config boards/stm32f405/qemu.toml)
# Where cargo puts the ELF (CARGO_TARGET_DIR or a config may move it).
elf_path() {
    local dir
    dir="$(cd "$fw" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
    [[ -n "$dir" ]] && echo "$dir/thumbv7em-none-eabihf/release/hinf-firmware"
}
f405_runs() {
    (cd "$fw" && HINF_QEMU_TIMEOUT="${HINF_QEMU_TIMEOUT:-600}" cargo "${f405_qemu[@]}" run "${f405[@]}")
}
f405_tests() { (cd "$fw" && cargo "${f405_qemu[@]}" test "${f405[@]}"); }
f405_panic_exits_nonzero() {
    (cd "$fw" && HINF_QEMU_TIMEOUT=30 expect_failure \
        cargo "${f405_qemu[@]}" run "${f405[@]}" --features inject-panic)
}
f405_hardfault_exits_nonzero() {
    (cd "$fw" && HINF_QEMU_TIMEOUT=30 expect_failure \
        cargo "${f405_qemu[@]}" run "${f405[@]}" --features inject-hardfault)
}
f405_elf_is_the_flashed_one() {
    # The ELF QEMU ran (built again: the fault-injection builds replaced it)
    # and the one `cargo run-f405` hands to probe-rs (the copy in the target
    # directory deleted first, so that cargo writes it anew): same bytes.
    local elf ran flashed
    elf="$(elf_path)" || return 1
    (cd "$fw" && cargo "${f405_qemu[@]}" build --quiet "${f405[@]}") || return 1
    ran="$(sha256sum <"$elf")" || return 1
    rm -f "$elf"
    (cd "$fw" && cargo --config boards/stm32f405/config.toml build --quiet "${f405[@]}") || return 1
    flashed="$(sha256sum <"$elf")" || return 1
    echo "$elf"
    echo "QEMU netduinoplus2: ${ran%% *}"
    echo "probe-rs config:    ${flashed%% *}"
    [[ "$ran" == "$flashed" ]]
}
f411_smoke_under_netduinoplus2() {
    (cd "$fw" && HINF_QEMU_MACHINE=netduinoplus2 \
        cargo run --release --no-default-features --features stm32f411)
}
m7_learns_at_l1001() {
    (cd "$fw" && cargo --config boards/qemu-mps2-an500/qemu.toml run --release \
        --no-default-features --features mps2-an500)
}
clippy_clean() {
    if ! cargo clippy --version >/dev/null 2>&1; then
        echo "clippy not installed: skipped"
        return 0
    fi
    local features
    for features in qemu mps2-an500 stm32f405 stm32f411 feather-f405 olimex-h405 blackpill-f411; do
        echo "clippy --features $features"
        (cd "$fw" && cargo clippy --release --all-targets --quiet \
            --no-default-features --features "$features" -- -D warnings) || return 1
    done
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
check "firmware learns (XOR, host model, calibration) on mps2-an386" run_firmware
check "on-target tests on mps2-an386" run_on_target_tests
check "panic exits non-zero" panic_exits_nonzero
check "HardFault exits non-zero" hardfault_exits_nonzero
check "STM32F405 ELF learns under netduinoplus2" f405_runs
check "STM32F405 on-target tests under netduinoplus2" f405_tests
check "STM32F405 panic exits non-zero" f405_panic_exits_nonzero
check "STM32F405 HardFault exits non-zero" f405_hardfault_exits_nonzero
check "STM32F405 ELF is the one probe-rs flashes" f405_elf_is_the_flashed_one
check "STM32F411 ELF under netduinoplus2 (smoke)" f411_smoke_under_netduinoplus2
check "Cortex-M7 budget (1 MiB): L = 1001 learns XOR under mps2-an500" m7_learns_at_l1001
check "clippy" clippy_clean
check "rustfmt" formatted

if [[ $failed -gt 0 ]]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "firmware: $passed passed, $failed failed"
[[ $failed == 0 ]]
