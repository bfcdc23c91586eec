#!/usr/bin/env bash
# The reproduction study behind docs/REPRODUCTION.md: every command the
# document cites, writing into docs/study/. Run one section or all:
#   bash scripts/study.sh [beyond|table1|pfirst|window|variants|adam|sd|all]
# HINF=path/to/hinf overrides the binary (default: a release build);
# THREADS=n sets the worker threads of each command (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${HINF:-}" ]; then
  cargo build --release -q -p host
  HINF=target/release/hinf
fi
T=()
[ -n "${THREADS:-}" ] && T=(--threads "$THREADS")
D=docs/study
DEPTHS=5,101,201,401,801,1001
timed() { local name=$1; shift; local s; s=$(date +%s); "$@"; echo "$name $(( $(date +%s) - s )) s" >> "$D/times.txt"; }
sweep() { local name=$1; shift; timed "$name" "$HINF" sweep --json "${T[@]}" --out "$D/$name" "$@" > /dev/null; }
train() { local name=$1; shift; mkdir -p "$D/adam"; timed "$name" "$HINF" train --json "${T[@]}" "$@" > "$D/adam/$name.json"; }

section=${1:-all}
run() { [ "$section" = all ] || [ "$section" = "$1" ]; }
mkdir -p "$D"

# Beyond the paper: the trust-region extension, ε0 = 1000, all six depths, 100 trials.
run beyond && sweep beyond_tr --method hinf --extension trust-region --eps0 1000 \
  --layers $DEPTHS --trials 100 --max-epochs 300

# Table 1 with the printed method at the default reading (ε0 = 10, P as printed).
run table1 && sweep table1_paper --method hinf --eps0 10 --layers $DEPTHS --trials 100 --max-epochs 100

# The "P-first" reading (covariance-first gain order, ε0 = 20) at all depths.
run pfirst && sweep table1_pfirst --method hinf --gain-order covariance-first --eps0 20 \
  --layers 5,101,201,401 --trials 100 --max-epochs 100
run pfirst && sweep table1_pfirst_deep --method hinf --gain-order covariance-first --eps0 20 \
  --layers 801,1001 --trials 100 --max-epochs 100

# The ε0 window: both gain orders, shallow to medium depth.
run window && sweep eps0_window --method hinf --layers 5,21,41 --eps0 3,5,7,10,15,20,30,50,100 \
  --gain-order paper,covariance-first --trials 50 --max-epochs 300

# What the paper leaves unstated, at L = 5 (100 trials): stopping measure, timing, inputs, targets, order.
run variants && sweep unstated_L5 --method hinf --layers 5 --eps0 10,20 \
  --criterion half-sse,sse,max-abs --timing after-epoch,during-epoch --inputs bipolar,binary \
  --targets zero-one,soft --order fixed,shuffled --trials 100 --max-epochs 300
# Variant switches at L = 41 (50 trials): P regularization, ε0 scaling, the extension.
run variants && sweep switches_L41 --method hinf --layers 5,41 --eps0 10,20,100,1000 \
  --gain-order paper --process-noise 0,0.01 --forgetting 1,0.99 --trials 50 --max-epochs 200
run variants && sweep eps0_scale --method hinf --layers 5,21,41,101 --eps0 10,20,50 \
  --eps0-scale none,blocks,weights --trials 50 --max-epochs 150
run variants && sweep extension_eps0 --method hinf --extension trust-region --layers 5,41,101 \
  --eps0 10,100,1000 --trials 50 --max-epochs 300

# Table 2: Adam with the paper's α, β1, β2, ε; full batch (100 trials) and per sample.
if run adam; then
  for L in 5 101 201 401 801 1001; do
    train adam_batch_L$L --method adam --adam-mode batch --layers $L --trials 100 --max-epochs 10000
  done
  for L in 101 201 401 801 1001; do
    train adam_sample_L$L --method adam --adam-mode sample --layers $L --trials 100 --max-epochs 5000
  done
fi

# Steepest descent (P = ε0 I fixed).
run sd && sweep sd --method sd --layers 5,101,801 --eps0 10 --trials 20 --max-epochs 10000

# Steepest descent: ε0 is unstated for it too; smaller ε0 at depth.
run sdeps && sweep sd_eps0 --method sd --layers 101 --eps0 1,3 --trials 20 --max-epochs 10000
run sdeps && sweep sd_eps0_L801 --method sd --layers 801 --eps0 1 --trials 10 --max-epochs 10000
run sdeps && sweep sd_eps0_L801_3 --method sd --layers 801 --eps0 3 --trials 10 --max-epochs 10000

# The extension at the default ε0 = 10 (cap 100, as Table 1), all six depths.
run beyond10 && sweep beyond_tr_eps10 --method hinf --extension trust-region --eps0 10 \
  --layers 5,101,201,401,801,1001 --trials 100 --max-epochs 100

# Adam per sample at L = 5 with failure classes.
run adam && sweep adam_sample_L5_classes --method adam --adam-mode sample --layers 5 --trials 100 --max-epochs 10000

# Steepest descent at L = 801 with 100 trials (ε0 = 10).
run sd && sweep sd_L801_100 --method sd --layers 801 --eps0 10 --trials 100 --max-epochs 10000
