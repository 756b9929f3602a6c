#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT from the environment.
# GPUs: one process per GPU over nccl; no CUDA: NUM_PROCS CPU processes over
# gloo. A failing worker stops the others and is named (tools/_torchrun.sh).
exec bash "$(dirname "$0")/_torchrun.sh" test "$3" "$1" "$2" "${@:4}"
