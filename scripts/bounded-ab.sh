#!/usr/bin/env bash
# The issue-15 cost target as an interleaved A/B (docs/bounded.md, Cost): a
# 25-epoch XOR trial at L = 1001 (trust region, eps0 = 1000, no early stop,
# one thread) with the exact filter's structured P (A) and the information
# window R = 8 (B), alternating A, B for ROUNDS rounds of TRIALS trials, so
# that a shared machine's drift hits both alike. Prints each round's
# `mean_trial_seconds` (hinf train --json), the medians and the ratio A/B.
#
#   bash scripts/bounded-ab.sh [ROUNDS] [TRIALS]   (default 9 10; needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-9}"
trials="${2:-10}"
cargo build --release -q -p host
hinf=target/release/hinf
trial() {
    "$hinf" train --method hinf "$@" --layers 1001 --trials "$trials" --max-epochs 25 \
        --tol 1e-300 --eps0 1000 --extension trust-region --threads 1 --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["mean_trial_seconds"])'
}
a=()
b=()
for ((i = 1; i <= rounds; i++)); do
    a+=("$(trial --covariance structured)")
    b+=("$(trial --covariance info-window --memory 8)")
    echo "round $i: structured ${a[-1]} s, info-window R = 8 ${b[-1]} s"
done
python3 - "${a[*]}" "${b[*]}" <<'EOF'
import statistics, sys
a = [float(x) for x in sys.argv[1].split()]
b = [float(x) for x in sys.argv[2].split()]
ratios = sorted(x / y for x, y in zip(a, b))
print(f"medians: structured {statistics.median(a) * 1e3:.1f} ms, "
      f"info-window R = 8 {statistics.median(b) * 1e3:.1f} ms, "
      f"ratio {statistics.median(a) / statistics.median(b):.2f}x")
print("per-round ratios: " + ", ".join(f"{r:.2f}" for r in ratios))
EOF
