#!/usr/bin/env bash
# One command from a fresh machine to a trained and evaluated model (CPU):
#   bash tools/quickstart.sh [baseline|wsrvos|reviosa]
# 1. creates/reuses the venv (.venv) and installs the pinned stack,
# 2. generates the synthetic RVOS set (InterRVOS/MeViS format) in data/synthetic_rvos
#    (reviosa: data/synthetic_rvos_1200, the same val split with 1200 training videos),
# 3. trains the model with tools/train.py (reviosa: two CPU processes over gloo, see below),
#    evaluates it and the trivial predictors,
# 4. writes work_dirs/quickstart/<model>/summary.json and prints J&F.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODEL=${1:-baseline}
prepare() { :; }  # model-specific preparation after the data step
DEFAULT_DATA=data/synthetic_rvos
GEN_ARGS=()       # model-specific arguments of the synthetic-set generator
TRAIN_PROCS=1     # training processes (one thread each when more than one)
case "$MODEL" in
  baseline) CONFIG=configs/baseline/rvos-baseline_effnet-lite0_minilm-l6_1xb4-4x2x1-2e_synthetic.py ;;
  wsrvos)   CONFIG=configs/wsrvos/wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py
            # text-only supervision: the oracle CREA expressions (~1 min; the
            # config's expression_file; skipped when already present)
            prepare() {
              local out=work_dirs/wsrvos_crea/synthetic_train.json
              if [ ! -s "$out" ]; then
                echo "[quickstart] $(date +%T) generating the WSRVOS expressions in $out"
                mkdir -p "$(dirname "$out")"
                "$PY" tools/expression_generation/generate_expressions.py "$DATA/train" \
                    --backend oracle --key-prefix synthetic --out "$out" --no-progress
              fi
            } ;;
  reviosa)  CONFIG=configs/reviosa/reviosa_tiny-internvl_tiny-sam2_2xb4-900it-cpu_synthetic-rvos.py
            # two 1-thread processes of batch 4 run an iteration in 0.57 s, one
            # 2-thread process of batch 8 in 1.0 s (docs/decisions/reviosa.md,
            # "Session 10"); with one core, one process of batch 8 (~15 min)
            TRAIN_PROCS=2
            # the same val split, 1200 training videos instead of 300 (the
            # config's data_root; docs/decisions/reviosa.md, "Session 7")
            DEFAULT_DATA=data/synthetic_rvos_1200
            GEN_ARGS=(--num-train 1200) ;;
  *) echo "unknown model '$MODEL' (choose baseline, wsrvos or reviosa)"; exit 2 ;;
esac
[ -f "$CONFIG" ] || { echo "config $CONFIG is missing"; exit 2; }

start=$(date +%s)
source tools/misc/setup_venv.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
WORK=work_dirs/quickstart/$MODEL
DATA=${DATA:-$DEFAULT_DATA}

echo "[quickstart] $(date +%T) generating the synthetic set in $DATA (skipped when already complete)"
"$PY" tools/dataset_converters/make_synthetic_rvos.py --out "$DATA" ${GEN_ARGS[@]+"${GEN_ARGS[@]}"}

prepare

echo "[quickstart] $(date +%T) training $CONFIG"
rm -rf "$WORK"
train_start=$(date +%s)
# validation runs once, below, next to the trivial predictors, not also during training (mmengine
# validates after the last epoch/iteration whatever val_interval is; a val_begin beyond the end skips it)
TRAIN_OPTS=("train_dataloader.dataset.data_root=$DATA" "val_dataloader.dataset.data_root=$DATA"
            "test_dataloader.dataset.data_root=$DATA" train_cfg.val_begin=100000)
# devices a process can take: the GPUs, or without CUDA the cores this job may use
CORES=$("$PY" -c "import os, torch; print(torch.cuda.device_count() or len(os.sched_getaffinity(0)))")
if [ "$TRAIN_PROCS" -gt 1 ] && [ "$CORES" -ge "$TRAIN_PROCS" ]; then
  PORT=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  train() {
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PORT=$PORT PYTHON="$PY" bash tools/dist_train.sh "$CONFIG" "$TRAIN_PROCS" \
        --work-dir "$WORK" --cfg-options "${TRAIN_OPTS[@]}"
  }
else
  # one process: the same global batch
  if [ "$TRAIN_PROCS" -gt 1 ]; then
    BATCH=$("$PY" -c "from mmengine.config import Config; print(Config.fromfile('$CONFIG').train_dataloader.batch_size * $TRAIN_PROCS)")
    TRAIN_OPTS+=("train_dataloader.batch_size=$BATCH")
    echo "[quickstart] $CORES device(s): one training process of batch $BATCH instead of $TRAIN_PROCS"
  fi
  train() { "$PY" tools/train.py "$CONFIG" --work-dir "$WORK" --cfg-options "${TRAIN_OPTS[@]}"; }
fi
# A gloo worker thread has been seen, rarely, to abort a CPU process right after the DDP set-up
# (tests/test_tools/test_train_resume_dist.py): one retry for exactly that signature.
GLOO_ABORT='terminate called without an active exception'
mkdir -p work_dirs/quickstart
train 2> >(tee "work_dirs/quickstart/$MODEL.train.err" >&2) || {
  status=$?
  sleep 1  # let tee finish writing the log
  if grep -q "$GLOO_ABORT" "work_dirs/quickstart/$MODEL.train.err"; then
    echo "[quickstart] a gloo worker aborted ($GLOO_ABORT); training again once"
    rm -rf "$WORK"; train
  else
    exit $status
  fi
}
train_min=$(python3 -c "print(($(date +%s) - $train_start) / 60)")
CKPT=$(cat "$WORK/last_checkpoint")

echo "[quickstart] $(date +%T) evaluating $CKPT and the trivial predictors"
"$PY" tools/analysis_tools/evaluate_with_baselines.py "$CONFIG" "$CKPT" --work-dir "$WORK" \
    --out "$WORK/summary.json" --minutes "$train_min" \
    --cfg-options "test_dataloader.dataset.data_root=$DATA" > "$WORK/evaluate.log" 2>&1 \
    || { tail -30 "$WORK/evaluate.log"; exit 1; }
"$PY" - "$WORK/summary.json" "$start" <<'PYEOF'
import json, sys, time
path, start = sys.argv[1], float(sys.argv[2])
s = json.load(open(path))
s['minutes_total'] = round((time.time() - start) / 60, 2)
json.dump(s, open(path, 'w'), indent=2, sort_keys=True)
print(f"[quickstart] {path}")
print(f"  model      J&F={s['J&F']:.3f}  J={s['J']:.3f}  F={s['F']:.3f}")
for k, v in sorted(s.items()):
    if k.endswith('J&F') and k != 'J&F':
        print(f"  {k:<10} {v:.3f}")
for mode, m in s['baselines'].items():
    print(f"  {mode:<10} J&F={m['J&F']:.3f}")
print(f"  training {s['minutes']:.1f} min, whole quickstart {s['minutes_total']:.1f} min")
PYEOF
