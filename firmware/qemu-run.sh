#!/usr/bin/env bash
# Cargo runner for the firmware and its on-target tests: runs an ELF under
# QEMU (mps2-an386 by default, Cortex-M4F; netduinoplus2, an STM32F405, for
# the STM32 board ELFs) with semihosting, with a timeout, and exits with the
# firmware's semihosting exit status (0 = target met).
#
# - The firmware's defmt log (binary frames on semihosting stdout) is decoded
#   with defmt-print when it is installed; otherwise it is saved next to the
#   ELF as ELF.defmt (decode later: defmt-print -e ELF < ELF.defmt). The
#   STM32 ELFs log defmt over RTT, which nobody reads under QEMU: there the
#   file stays empty.
# - Plain-text summary lines come on semihosting stderr, always readable.
# - QEMU runs with -icount shift=0 (1 instruction = 1 ns of virtual time), so
#   the firmware's SysTick counts are instruction counts (see README.md).
# - HINF_QEMU_MACHINE=netduinoplus2 (boards/stm32f405/qemu.toml sets it)
#   runs the STM32F405 ELF on QEMU's STM32F405 model; mps2-an500
#   (boards/qemu-mps2-an500/qemu.toml) the Cortex-M7 build on a Cortex-M7.
#
# Environment: HINF_QEMU_TIMEOUT (seconds, default 120), HINF_DEFMT=0 to skip
# decoding, HINF_QEMU_MACHINE (default mps2-an386).
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 FIRMWARE.elf" >&2
    exit 2
fi
elf="$1"
shift
timeout_s="${HINF_QEMU_TIMEOUT:-120}"
machine="${HINF_QEMU_MACHINE:-mps2-an386}"
# The machine's core: a Cortex-M7 on mps2-an500, a Cortex-M4 otherwise.
case "$machine" in
    mps2-an500) cpu=cortex-m7 ;;
    *) cpu=cortex-m4 ;;
esac

if ! command -v qemu-system-arm >/dev/null 2>&1; then
    echo "qemu-run.sh: qemu-system-arm not found (apt-get install qemu-system-arm)" >&2
    exit 127
fi

qemu=(timeout --kill-after=5 "$timeout_s"
    qemu-system-arm -cpu "$cpu" -machine "$machine" -nographic
    -monitor none -serial none
    -icount shift=0
    -semihosting-config enable=on,target=native
    -kernel "$elf")

set +e
if [[ "${HINF_DEFMT:-1}" != 0 ]] && command -v defmt-print >/dev/null 2>&1; then
    "${qemu[@]}" | defmt-print -e "$elf" stdin
    status=${PIPESTATUS[0]}
else
    "${qemu[@]}" >"$elf.defmt"
    status=$?
    if [[ -s "$elf.defmt" ]]; then
        echo "qemu-run.sh: defmt log saved in $elf.defmt (decode: defmt-print -e $elf < $elf.defmt)" >&2
    else
        echo "qemu-run.sh: no defmt frames on semihosting (an STM32 ELF logs defmt over RTT)" >&2
    fi
fi
set -e

case "$status" in
    0) ;;
    124 | 137) echo "qemu-run.sh: TIMEOUT after ${timeout_s}s ($elf)" >&2 ;;
    *) echo "qemu-run.sh: exit status $status ($elf)" >&2 ;;
esac
exit "$status"
