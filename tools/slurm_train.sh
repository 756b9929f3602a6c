#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=""] \
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args...]
exec bash "$(dirname "$0")/_srun.sh" train "$1" "$2" "$3" --work-dir="$4" "${@:5}"
