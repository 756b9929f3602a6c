#!/usr/bin/env bash
# Build compiled mmcv 2.1.0 (ops) against the installed torch and replace mmcv-lite.
# Only needed for mmdet.models / mmcv.ops; no rvos_plugin module needs it.
# Usage: [VENV=.venv] [MAX_JOBS=2] [FORCE_CUDA=0|1] bash tools/misc/build_mmcv_full.sh
# mmcv 2.1.0's setup.py asks for -std=c++17, but torch >= 2.6 headers need C++20.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV=${VENV:-"$ROOT/.venv"}
PY="$VENV/bin/python"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PY" -c "import setuptools, sys; v = tuple(int(x) for x in setuptools.__version__.split('.')[:1]); sys.exit(0 if v < (81,) else 1)" \
  || { echo "setuptools >= 81 drops pkg_resources, which mmcv's build needs: pip install 'setuptools<81'"; exit 1; }
"$PY" -m pip download --no-deps --no-binary :all: -d "$WORK" mmcv==2.1.0
tar -xzf "$WORK"/mmcv-2.1.0.tar.gz -C "$WORK"
cd "$WORK/mmcv-2.1.0"
sed -i 's/-std=c++17/-std=c++20/g' setup.py
grep -q 'c++20' setup.py || { echo "patch did not apply: setup.py has no -std=c++17 any more"; exit 1; }
MAX_JOBS=${MAX_JOBS:-2} MMCV_WITH_OPS=1 FORCE_CUDA=${FORCE_CUDA:-0} \
  "$PY" -m pip wheel --no-build-isolation --no-deps -w "$WORK/wheel" .
"$PY" -m pip uninstall -y mmcv-lite || true
"$PY" -m pip install --no-deps "$WORK"/wheel/mmcv-2.1.0-*.whl
"$PY" -c "import mmcv.ops, mmdet.models; print('compiled mmcv', mmcv.__version__, 'and mmdet.models import')"
