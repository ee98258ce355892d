#!/usr/bin/env bash
# The FAU verdict at the paper's 96x96 input: train the main job's recipe at 96x96, then run
# fau-analyze on the best-validation checkpoint (docs/fau_alignment.md). The built-in set knows
# which AU moved which region, so the report's table can be checked against it. About 35 minutes
# on 2 CPU cores. Extra arguments go to both commands, e.g. `--data.fold 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
out=runs/fau_proof_96
.venv/bin/fau-train fit --config configs/synthetic.yaml --data.image_size 96 \
    --checkpoint_dir "$out/checkpoints" --results_json "$out/result.json" "$@"
checkpoint=$(.venv/bin/python -c "import json, sys; print(json.load(open(sys.argv[1]))['checkpoint'])" "$out/result.json")
.venv/bin/fau-analyze "$checkpoint" --config configs/synthetic.yaml --output "$out/report" --overwrite -- --data.image_size 96 "$@"
cat "$out/report/fau_alignment.md"
