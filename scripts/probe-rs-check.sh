#!/usr/bin/env bash
# Optional, not in CI (probe-rs takes ~22 min to install): checks the STM32
# board ELFs against probe-rs's own chip descriptions, with no board or probe.
#
#   scripts/probe-rs-check.sh        # stm32f405=STM32F405RGTx stm32f411=STM32F411RETx stm32f411=STM32F411CEUx
#   scripts/probe-rs-check.sh stm32f405=STM32F401CBUx path/to/elf=STM32F411RETx
#   HINF_PROBE_RS_CHIP=STM32F410T8Yx scripts/probe-rs-check.sh   # every ELF vs that chip
#
# Each argument is FEATURE=CHIP (the release ELF of that firmware feature,
# built here with cargo) or ELF=CHIP (an ELF file); CHIP is a probe-rs chip
# name (`probe-rs chip list`). For each pair it reads the chip's memory map
# with `probe-rs chip info` (adjacent regions of one kind merged, e.g. the
# F405's SRAM + SRAM2), the ELF's sections with arm-none-eabi-objdump, and
# checks that
#   1. every section with bytes in the file (.vector_table, .text, .rodata,
#      the .data image) lies, at its load address (LMA: what probe-rs
#      writes), in one NVM (flash) region;
#   2. every writable section (.data, .bss, .uninit) lies, at its run
#      address (VMA), in one RAM region;
#   3. the initial stack pointer (word 0 of the vector table; cortex-m-rt sets
#      it to the end of memory.x's RAM) is in (start, end] of a RAM region.
# Check 1 is probe-rs's own loader check (every loadable segment with data in
# an NVM or RAM region of the chip; FlashLoader::add_data), made stricter:
# NVM only, since what is loaded into RAM is gone after a reset.
# What probe-rs 0.32 does NOT do offline: `probe-rs download --dry-run` (or
# run, verify) selects a connected probe before it swaps in its mocked one,
# so with no probe it stops at "No connected probes were found"; with a
# probe attached it would also plan the flash algorithm without writing.
# Exits 1 with one line per violation, 0 with one summary line per pair, and
# 2 if probe-rs or arm-none-eabi-objdump is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fw="$root/firmware"
probe_rs="${PROBE_RS:-probe-rs}"
objdump="${OBJDUMP:-arm-none-eabi-objdump}"

if ! command -v "$probe_rs" >/dev/null 2>&1; then
    echo "probe-rs not found (put it on PATH or set PROBE_RS=/path/to/probe-rs)." >&2
    echo "Install it once (~22 min; on Debian first apt-get install libudev-dev pkg-config):" >&2
    echo "  cargo install probe-rs-tools --locked" >&2
    exit 2
fi
if ! command -v "$objdump" >/dev/null 2>&1; then
    echo "$objdump not found: apt-get install binutils-arm-none-eabi (or set OBJDUMP)" >&2
    exit 2
fi

"$probe_rs" --version | head -n1
pairs=("$@")
if [[ ${#pairs[@]} == 0 ]]; then # the chips of firmware/README.md's board table
    pairs=(stm32f405=STM32F405RGTx stm32f411=STM32F411RETx stm32f411=STM32F411CEUx)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The ELF of a pair's left side: the file itself, or the feature's release
# ELF (copied: every feature writes the same path in the target directory).
elf_for() {
    if [[ -f "$1" ]]; then echo "$1"; return; fi
    if [[ ! -f "$tmp/$1.elf" ]]; then
        local dir
        dir="$(cd "$fw" && cargo metadata --format-version 1 --no-deps |
            sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
        (cd "$fw" && cargo build --release --quiet --no-default-features --features "$1") >&2
        cp "$dir/thumbv7em-none-eabihf/release/hinf-firmware" "$tmp/$1.elf"
    fi
    echo "$tmp/$1.elf"
}

hex() { printf '0x%08x' "$1"; }
size() { if (($1 % 1024)); then echo "$1 B"; else echo "$(($1 / 1024)) KiB"; fi; }
# "KIND START END" lines (decimal) from `probe-rs chip info`, KIND NVM or
# RAM, adjacent ranges of one kind merged.
regions() {
    local kind start end k="" s=0 e=0
    while read -r kind start end; do
        if [[ $kind == "$k" ]] && ((start == e)); then e=$end; continue; fi
        [[ -z $k ]] || echo "$k $s $e"
        k=$kind s=$start e=$end
    done < <(sed -n 's/^\(NVM\|RAM\): \(0x[0-9a-f]*\)\.\.\(0x[0-9a-f]*\).*/\1 \2 \3/p' <<<"$1" |
        while read -r kind start end; do echo "$kind $((start)) $((end))"; done | sort -k1,1 -k2,2n)
    [[ -z $k ]] || echo "$k $s $e"
}
ranges() { # the regions of KIND, for messages
    local k s e out=""
    while read -r k s e; do
        [[ $k == "$1" ]] && out+="${out:+, }$(hex "$s")..$(hex "$e") ($(size $((e - s))))"
    done <<<"$map"
    echo "$out"
}

violations=0
violation() { echo "VIOLATION $label: $*"; violations=$((violations + 1)); }
in_region() { # WHAT KIND START SIZE: a violation unless one KIND region holds it
    local k s e
    while read -r k s e; do
        if [[ $k == "$2" ]] && ((s <= $3 && $3 + $4 <= e)); then
            local r
            r="$(hex "$s")..$(hex "$e") ($(size $((e - s))))"
            [[ ${used[$2]} == *"$r"* ]] || used[$2]+="${used[$2]:+, }$r"
            return 0
        fi
    done <<<"$map"
    violation "$1 $(hex "$3")..$(hex $(($3 + $4))) ($4 B) not in one $2 region: $(ranges "$2")"
}

for pair in "${pairs[@]}"; do
    what="${pair%=*}"
    chip="${HINF_PROBE_RS_CHIP:-${pair#*=}}"
    label="$chip ($what)"
    elf="$(elf_for "$what")"
    if ! info="$("$probe_rs" chip info "$chip" 2>&1)" || [[ -z "$(regions "$info")" ]]; then
        violation "probe-rs chip info failed: $(grep -m1 '^Error' <<<"$info" || tail -n1 <<<"$info")"
        continue
    fi
    map="$(regions "$info")"
    before=$violations
    declare -A used=([NVM]="" [RAM]="") # the regions the ELF uses, for the summary

    # 1-2. The allocated sections (objdump -h: name, size, VMA, LMA, flags).
    flash_bytes=0 ram_bytes=0
    while read -r name size vma lma flags; do
        size=$((16#$size)) vma=$((16#$vma)) lma=$((16#$lma))
        ((size > 0)) || continue
        if [[ $flags == *LOAD* ]]; then # bytes probe-rs writes, at the LMA
            flash_bytes=$((flash_bytes + size))
            in_region "$name (load address)" NVM $lma $size
        fi
        if [[ $flags != *READONLY* ]]; then # written at run time
            ram_bytes=$((ram_bytes + size))
            in_region "$name" RAM $vma $size
        elif ((vma != lma)); then # read-only, run from elsewhere
            in_region "$name" NVM $vma $size
        fi
    done < <("$objdump" -h "$elf" | awk '/^ *[0-9]+ / { n = $2; s = $3; v = $4; l = $5; getline
        gsub(/ /, ""); if ($0 ~ /ALLOC/) print n, s, v, l, $0 }')

    # 3. The initial stack pointer: word 0 of .vector_table, little-endian.
    w="$("$objdump" -s -j .vector_table "$elf" | awk 'f { print $2; exit } /^Contents/ { f = 1 }')"
    sp=$((16#${w:6:2}${w:4:2}${w:2:2}${w:0:2}))
    sp_ok=""
    while read -r k s e; do
        if [[ $k == RAM ]] && ((s < sp && sp <= e)); then sp_ok=yes; fi
    done <<<"$map"
    [[ -n $sp_ok ]] || violation "initial stack pointer $(hex $sp) not in (start, end] of a RAM region: $(ranges RAM)"

    if ((violations == before)); then
        echo "ok $label: $flash_bytes B of flash in ${used[NVM]}," \
            "$ram_bytes B of static RAM in ${used[RAM]}, initial SP $(hex $sp)"
    fi
done

if ((violations > 0)); then
    echo "probe-rs-check: $violations violation(s)"
    exit 1
fi
echo "probe-rs-check: ${#pairs[@]} ELF/chip pair(s) ok"
