#!/usr/bin/env bash
# `hinf reproduce` split over a Slurm job array: array task K of N runs
# shard K/N into shards/K, then the last step merges them into results/.
#
#   sbatch --array=1-8 scripts/slurm-reproduce.sh            # 8 shards
#   hinf merge --out results shards/*                         # when all are done
#
# or, to merge automatically once every task has finished:
#
#   jid=$(sbatch --parsable --array=1-8 scripts/slurm-reproduce.sh)
#   sbatch --dependency=afterok:$jid --wrap 'hinf merge --out results shards/*'
#
# Extra flags for `hinf reproduce` (the same for every task: merge refuses
# shards with other settings) go in HINF_FLAGS, e.g.
#   HINF_FLAGS="--beyond" sbatch --array=1-8 scripts/slurm-reproduce.sh
# `hinf` must be on PATH on the nodes (`cargo install --path host`).
#SBATCH --job-name=hinf-reproduce
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
set -euo pipefail

k=${SLURM_ARRAY_TASK_ID:?run me with sbatch --array=1-N}
n=${SLURM_ARRAY_TASK_COUNT:?run me with sbatch --array=1-N}
mkdir -p shards
# shellcheck disable=SC2086 # HINF_FLAGS holds several flags
exec hinf reproduce ${HINF_FLAGS:-} --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --shard "$k/$n" --out "shards/$k"
