#!/usr/bin/env bash
# The main job: install (first time only), generate the built-in synthetic CK+ set, train the
# zero-bias CNN, test it on held-out subjects, and print it beside a raw-pixel baseline.
# Extra arguments go to fau-train and fau-baseline, e.g. `--data.fold 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
start=$(date +%s)
.venv/bin/fau-train fit --config configs/synthetic.yaml "$@" 2>&1 | tee runs_main_job.log
trained=$(date +%s)
.venv/bin/fau-baseline --config configs/synthetic.yaml "$@" 2>&1 | tail -n 2 | tee -a runs_main_job.log
echo "CNN fit + test + FAU verdict: $((trained - start)) s; baseline: $(($(date +%s) - trained)) s"
grep -E "^FAU (verdict|report)" runs_main_job.log || true  # the verdict, as the training run printed it above
