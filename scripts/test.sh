#!/usr/bin/env bash
# Install (first time only), lint (ruff, configured in pyproject.toml) and run the quick test suite (tests marked
# slow are left out). Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "slow or not slow"` (everything,
# as .ci/run) or `bash scripts/test.sh tests/models`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
.venv/bin/ruff check fau_lightning tests scripts
exec .venv/bin/python -m pytest "$@"
