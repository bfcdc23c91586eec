#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# On a fresh machine it first installs what it needs: the thumb targets,
# rustfmt/clippy, and qemu-system-arm for the firmware.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "toolchain: thumb and RISC-V targets, rustfmt, clippy"
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imac-unknown-none-elf >/dev/null
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

step "core is no_std: builds for Cortex-M4F, Cortex-M0 and RISC-V (rv32imac)"
cargo build -p hinf --target thumbv7em-none-eabihf
cargo build -p hinf --target thumbv6m-none-eabi
cargo build -p hinf --target thumbv7em-none-eabihf --features micromath
cargo build -p hinf --target riscv32imac-unknown-none-elf

step "workspace tests (core, host, end-to-end)"
cargo test --workspace

if [ -f scripts/firmware-test.sh ]; then
  step "firmware under QEMU"
  bash scripts/firmware-test.sh
fi

step "all tests passed"
