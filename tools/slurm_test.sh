#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=""] \
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args...]
# e.g. GPUS=4 bash tools/slurm_test.sh gpu rvos_test CONFIG ckpt.pth --out records.json
exec bash "$(dirname "$0")/_srun.sh" test "$1" "$2" "$3" "$4" "${@:5}"
