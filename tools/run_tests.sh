#!/usr/bin/env bash
# Create or reuse the venv, then run the whole test suite.
# Extra arguments go to pytest (e.g. `bash tools/run_tests.sh -k davis`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source tools/misc/setup_venv.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
NPROC=${PYTEST_NPROC:-2}
start=$(date +%s)
set +e
"$PY" -m pytest tests -n "$NPROC" -q -p no:cacheprovider --durations=15 "$@"
rc=$?
set -e
echo "[run_tests] finished in $(( $(date +%s) - start )) s (pytest exit code $rc)"
exit $rc
