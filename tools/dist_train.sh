#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# e.g.   bash tools/dist_train.sh configs/wsrvos_swin-t.py 4
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT from the environment.
# GPUs: one process per GPU over nccl; no CUDA: NUM_PROCS CPU processes over
# gloo. A failing worker stops the others and is named (tools/_torchrun.sh).
exec bash "$(dirname "$0")/_torchrun.sh" train "$2" "$1" "${@:3}"
