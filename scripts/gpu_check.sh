#!/usr/bin/env bash
# The GPU check (scripts/gpu_check.py) in one command, install included. On a lent GPU machine, whose
# image has torch, Lightning and OpenCV but not albumentations, wandb or jsonargparse: carry `.whl`
# (made here by `bash scripts/gpu_wheels.sh`); they are installed into /tmp/site and the package is
# used from this checkout. Elsewhere .venv is used (made by scripts/setup.sh).
#   bash scripts/gpu_check.sh            # on the GPU: about 10 minutes, report in docs/benchmarks/
#   bash scripts/gpu_check.sh --smoke    # the same stages on a CPU at toy size
set -euo pipefail
cd "$(dirname "$0")/.."
export WANDB_ERROR_REPORTING=false WANDB_MODE=offline NO_ALBUMENTATIONS_UPDATE=1
if [ -x .venv/bin/python ]; then
  PY=.venv/bin/python
else
  PY=python3
  if [ -d .whl ]; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  fi
  export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}  # the package from this checkout
fi
status=0
"$PY" scripts/gpu_check.py "$@" || status=$?
if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then  # on the lent machine, only $OUT comes back: the report and the log
  cp docs/benchmarks/*.md runs/gpu_check/gpu_check.log "$OUT"/ 2>/dev/null || true
fi
exit "$status"
