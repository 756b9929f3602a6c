#!/usr/bin/env bash
# Create or reuse the venv, then run the whole test suite.
# Extra arguments go to pytest (e.g. `bash tools/run_tests.sh -k davis`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source tools/misc/setup_venv.sh
# The browser test of demo/web_demo.py drives Debian's chromium through its
# chromium-driver (Selenium); install them when absent. Without them that test
# fails under CI=true (.ci/run) and is skipped elsewhere.
if ! command -v chromedriver >/dev/null 2>&1 || ! { command -v chromium >/dev/null 2>&1 \
     || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; }; then
  echo "[run_tests] installing chromium + chromium-driver with apt-get (browser test of the web demo)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
         chromium chromium-driver; } >/tmp/rvos_apt_chromium.log 2>&1; then
    echo "[run_tests] ERROR: could not install chromium + chromium-driver (log: /tmp/rvos_apt_chromium.log)."
    echo "[run_tests]   Install them by hand: sudo apt-get install chromium chromium-driver"
    echo "[run_tests]   tests/test_demo/test_web_demo.py fails under CI=true and is skipped otherwise."
  fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# DeepSpeed's CPU accelerator JIT-builds its shared-memory op (g++, ~1-2 min)
# when a ZeRO-2 test starts; cache it per venv: a build for another venv's
# sources would otherwise be rebuilt in the shared ~/.cache/torch_extensions.
export TORCH_EXTENSIONS_DIR=${TORCH_EXTENSIONS_DIR:-"$VENV/torch_extensions"}
NPROC=${PYTEST_NPROC:-2}
start=$(date +%s)
set +e
"$PY" -m pytest tests -n "$NPROC" -q -p no:cacheprovider --durations=15 "$@"
rc=$?
set -e
echo "[run_tests] finished in $(( $(date +%s) - start )) s (pytest exit code $rc)"
exit $rc
