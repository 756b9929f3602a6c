#!/usr/bin/env bash
# Shared by dist_train.sh and dist_test.sh:
#   bash tools/_torchrun.sh train|test NUM_PROCS [train.py/test.py args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT from the environment.
# On GPUs each process takes one GPU (nccl); without CUDA the same command
# runs NUM_PROCS CPU processes over gloo (rvos_plugin.utils.launch).
# If one worker fails, torchrun stops the others (no hang) and this script
# exits with the failure's status after saying which rank failed.
ACTION=$1
NPROCS=$2
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
    --nproc_per_node=$NPROCS \
    --master_port=$PORT \
    "$ROOT/tools/$ACTION.py" \
    "${@:3}" \
    --launcher pytorch
STATUS=$?
if [ $STATUS -ne 0 ]; then
    if [ "$ACTION" = train ]; then
        WHAT=training
        NEXT="Fix the error, then rerun with --resume to continue from the last checkpoint."
    else
        WHAT=testing
        NEXT="Fix the error, then rerun the same command."
    fi
    echo "dist_$ACTION.sh: $WHAT FAILED (exit status $STATUS). A worker" \
         "process failed and torchrun stopped the others; the failing" \
         "rank and its traceback are above (torchrun's 'Root Cause'" \
         "section). $NEXT" >&2
fi
exit $STATUS
