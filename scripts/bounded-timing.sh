#!/usr/bin/env bash
# The CLI's own timing of each covariance (docs/bounded.md, Cost): a
# 25-epoch XOR trial (trust region, ε0 = 1000, no early stop) at
# L = 5, 101 and 1001, f64 and f32, one thread; prints a Markdown table
# of `mean_trial_seconds` from `hinf train --json`, per step (÷ 100).
#
#   bash scripts/bounded-timing.sh [TRIALS]   (default 10; needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
trials="${1:-10}"
cargo build --release -q -p host
hinf=target/release/hinf
learners=(
    "exact (structured)|--method hinf --covariance structured"
    "neuron blocks (lehf)|--method lehf"
    "layer blocks|--method hinf --covariance layer-blocks"
    "information window R = 8|--method hinf --covariance info-window --memory 8"
    "information window R = 16|--method hinf --covariance info-window --memory 16"
    "structured window R = 32|--method hinf --covariance window --memory 32"
)
echo "| covariance | L = 5, f64 | f32 | L = 101, f64 | f32 | L = 1001, f64 | f32 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for entry in "${learners[@]}"; do
    name="${entry%%|*}"
    read -r -a args <<<"${entry#*|}"
    row="| $name |"
    for layers in 5 101 1001; do
        for precision in f64 f32; do
            secs=$("$hinf" train "${args[@]}" --layers "$layers" --precision "$precision" \
                --trials "$trials" --max-epochs 25 --tol 1e-300 --eps0 1000 \
                --extension trust-region --threads 1 --json |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["mean_trial_seconds"])')
            row+=$(python3 -c "s=$secs/100; print(f' {s*1e6:.1f} µs |' if s < 1e-3 else f' {s*1e3:.2f} ms |')")
        done
    done
    echo "$row"
done
