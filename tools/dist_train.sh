#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT from the environment.
# On GPUs each process takes one GPU (nccl); without CUDA the same command
# runs NUM_PROCS CPU processes over gloo (rvos_plugin.utils.launch).
# If one worker fails, torchrun stops the others (no hang) and this script
# exits with the failure's status after saying which rank failed.
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON=${PYTHON:-python}

PYTHONPATH="$ROOT":$PYTHONPATH \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$ROOT/tools/train.py" \
    $CONFIG \
    --launcher pytorch ${@:3}
STATUS=$?
if [ $STATUS -ne 0 ]; then
    echo "dist_train.sh: training FAILED (exit status $STATUS). A worker" \
         "process failed and torchrun stopped the others; the failing" \
         "rank and its traceback are above (torchrun's 'Root Cause'" \
         "section). Fix the error, then rerun with --resume to continue" \
         "from the last checkpoint." >&2
fi
exit $STATUS
