#!/usr/bin/env bash
# WSRVOS ablation in miniature on the synthetic set (projects/WSRVOS/README.md,
# "Ablation in miniature"): the quickstart recipe and one config per removed
# (or re-added) component, all on one reduced schedule so that the rows are
# comparable: ITERS iterations x 8 clips, L_seg/L_tmp from WARMUP on,
# validation on the first VAL expressions of data/synthetic_rvos/valid.
# Usage: bash benchmarks/wsrvos_ablation_synthetic.sh [row ...]
#   rows: reference no-crea-pos no-crea-neg add-selection add-interaction
#         no-iec no-ppf no-tsr no-presence (default: all)
# Then: python benchmarks/wsrvos_ablation_table.py work_dirs/wsrvos_ablation
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-200}
WARMUP=${WARMUP:-130}
VAL=${VAL:-150}
OUT=${OUT:-work_dirs/wsrvos_ablation}
ROWS=("$@")
if [ ${#ROWS[@]} -eq 0 ]; then
  ROWS=(reference no-crea-pos no-crea-neg add-selection add-interaction
        no-iec no-ppf no-tsr no-presence)
fi
for row in "${ROWS[@]}"; do
  if [ "$row" = reference ]; then
    cfg=configs/wsrvos/wsrvos_effnet-lite0_minilm-l6_cpu_synthetic.py
  else
    cfg=configs/wsrvos/ablation_synthetic/wsrvos_effnet-lite0_minilm-l6_cpu-synthetic_${row}.py
  fi
  [ -f "$cfg" ] || { echo "unknown row $row ($cfg)"; exit 2; }
  echo "== $row: $cfg"
  OMP_NUM_THREADS=1 "$PY" tools/train.py "$cfg" --work-dir "$OUT/$row" \
    --cfg-options train_cfg.max_iters="$ITERS" train_cfg.val_interval="$ITERS" \
    model.warmup_iters="$WARMUP" default_hooks.checkpoint.interval="$ITERS" \
    val_dataloader.dataset.indices="$VAL" > "$OUT.$row.log" 2>&1
  grep -o "J&F: [0-9.]*" "$OUT.$row.log" | head -1
done
