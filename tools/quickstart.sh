#!/usr/bin/env bash
# One command from a fresh machine to a trained and evaluated model (CPU):
#   bash tools/quickstart.sh [baseline|wsrvos|reviosa]
# 1. creates/reuses the venv (.venv) and installs the pinned stack,
# 2. generates the synthetic RVOS set (InterRVOS/MeViS format) in data/synthetic_rvos
#    (reviosa: data/synthetic_rvos_1200, the same val split with 1200 training videos),
# 3. trains the model with tools/train.py, evaluates it and the trivial predictors,
# 4. writes work_dirs/quickstart/<model>/summary.json and prints J&F.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODEL=${1:-baseline}
prepare() { :; }  # model-specific preparation after the data step
DEFAULT_DATA=data/synthetic_rvos
GEN_ARGS=()       # model-specific arguments of the synthetic-set generator
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
  reviosa)  CONFIG=configs/reviosa/reviosa_tiny-internvl_tiny-sam2_cpu_synthetic.py
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
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK" --cfg-options "train_dataloader.dataset.data_root=$DATA" \
    "val_dataloader.dataset.data_root=$DATA" "test_dataloader.dataset.data_root=$DATA" train_cfg.val_begin=100000
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
