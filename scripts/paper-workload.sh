#!/usr/bin/env bash
# How long `hinf reproduce` would take if its trials needed the epochs the
# paper reports, rather than the (larger) numbers this reproduction needs.
#
# Runs the reproduce's 13 experiments (same trials, same seeds) with each
# trial capped at the paper's mean epochs for its method and depth (Table 1,
# Table 2, and 4833.9 for steepest descent at L = 801), times each, and
# scales each time by (100 × cap) / (epochs the capped trials ran), so that
# trials which stop earlier here (converged, or at an exact fixed point) are
# counted at the paper's mean. The scaling is exact for Adam and steepest
# descent, whose epochs cost the same throughout a trial, and approximate
# for H∞, whose epochs get dearer as its structured P grows (its lines are
# small beside the others).
#
#   bash scripts/paper-workload.sh            # writes into target/paper-workload/
# HINF=path/to/hinf overrides the binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${HINF:-}" ]; then
  cargo build --release -q -p host
  HINF=target/release/hinf
fi
OUT=target/paper-workload
rm -rf "$OUT"
mkdir -p "$OUT"

# method layers cap: the paper's mean epochs, rounded up (the means are
# PAPER.md's Tables 1 and 2 and SD_L801, as in host/src/run/reproduce.rs).
EXPERIMENTS="hinf 5 26
hinf 101 24
hinf 201 23
hinf 401 22
hinf 801 21
hinf 1001 21
adam 5 2161
adam 101 1985
adam 201 2079
adam 401 1951
adam 801 1784
adam 1001 1725
sd 801 4834"

total_measured=0
total_projected=0
printf '%-5s %5s %6s %10s %14s %14s\n' method L cap measured_s epochs_run projected_s
while read -r method layers cap; do
  dir="$OUT/${method}_L$layers"
  "$HINF" train --method "$method" --layers "$layers" --trials 100 --seed 1 \
    --max-epochs "$cap" --json --out "$dir" > "$dir.json"
  seconds=$(sed -E 's/.*"seconds":([0-9.eE+-]+).*/\1/' "$dir.json")
  # Epochs each trial ran: its fixed-point epoch if it stopped at one, else
  # its epochs (columns 6 and 13 of the trials CSV).
  ran=$(awk -F, 'NR > 1 { s += ($13 != "" ? $13 : $6) } END { print s }' "$dir/${method}_L${layers}_trials.csv")
  projected=$(awk -v s="$seconds" -v c="$cap" -v r="$ran" 'BEGIN { print s * 100 * c / r }')
  total_measured=$(awk -v a="$total_measured" -v b="$seconds" 'BEGIN { print a + b }')
  total_projected=$(awk -v a="$total_projected" -v b="$projected" 'BEGIN { print a + b }')
  printf '%-5s %5s %6s %10.1f %14s %14.1f\n' "$method" "$layers" "$cap" "$seconds" "$ran" "$projected"
done <<< "$EXPERIMENTS"
printf 'total: measured %.1f s, at the paper'"'"'s epochs %.1f s\n' "$total_measured" "$total_projected"
