#!/usr/bin/env bash
# The main job: install (first time only), generate the built-in synthetic CK+ set, train the
# zero-bias CNN, test it on held-out subjects, judge its FAU verdict, write its report, and print it
# beside a raw-pixel baseline. Everything shown is also kept, line by line with its time, in
# runs/main_job.log, which ends with the longest silence. Extra arguments go to fau-train and
# fau-baseline, e.g. `--data.fold 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
log=runs/main_job.log
start=$(date +%s)
.venv/bin/python scripts/log_run.py "$log" -- .venv/bin/fau-train fit --config configs/synthetic.yaml "$@"
trained=$(date +%s)
.venv/bin/python scripts/log_run.py "$log" --append -- .venv/bin/fau-baseline --config configs/synthetic.yaml "$@"
echo "CNN fit + test + FAU verdict + report: $((trained - start)) s; baseline: $(($(date +%s) - trained)) s; log: $log"
# the verdict and the report, as the training run printed them above
sed -nE 's/^ *[0-9.]+ s  ((FAU verdict|report of the tested checkpoint).*)/\1/p' "$log"
