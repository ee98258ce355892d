#!/usr/bin/env bash
# The FAU analysis against its controls on the built-in set (docs/fau_alignment.md):
#   negative controls: untrained networks (seeds 100-102, outside the control distribution's 0-29)
#                      and a network trained on shuffled expression labels with the main job's recipe;
#   positive control:  the same network trained to detect the AUs (configs/synthetic_au.yaml);
#   and the main job's network itself, with its full table.
# Each network is judged twice: with the configs' default evidence, the held-out folds and 240 more people
# of the same population (`evidence_subjects: 240`; the verdict the acceptance bounds apply to), and on
# the held-out folds alone (24 subjects, as much as CK+ would give).
# Three trainings (about 30, 4 and 4 minutes on 2 CPU cores, each ending with its verdict), then twelve
# analyses (about 1 minute each once the untrained networks' activations are cached in
# ~/.cache/fau_lightning/controls; the first run makes them). Results go to runs/fau_controls/
# (summary.md there). Extra arguments go to every command, e.g. `--data.fold 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
out=runs/fau_controls
mkdir -p "$out"

train() {  # name, config, extra fau-train arguments...
  local name=$1 config=$2
  shift 2
  .venv/bin/python scripts/log_run.py "$out/$name/train.log" -- .venv/bin/fau-train fit --config "$config" \
      --checkpoint_dir "$out/$name/checkpoints" --results_json "$out/$name/result.json" "$@"
}
analyze() {  # name, config, model (a checkpoint, or --untrained SEED)...: judged twice, on two evidence sets
  local name=$1 config=$2
  shift 2
  .venv/bin/fau-analyze "$@" --config "$config" --output "$out/$name/report" --overwrite -- "${extra[@]}"
  .venv/bin/fau-analyze "$@" --config "$config" --output "$out/$name/report_folds" --overwrite \
      -- --data.init_args.evidence_subjects=0 "${extra[@]}"
}
checkpoint() { .venv/bin/python -c "import json, sys; print(json.load(open(sys.argv[1]))['checkpoint'])" "$out/$1/result.json"; }

extra=("$@")
train au configs/synthetic_au.yaml "${extra[@]}"
train shuffled configs/synthetic.yaml --data.init_args.shuffle_train_labels=true "${extra[@]}"
train main configs/synthetic.yaml "${extra[@]}"
for seed in 100 101 102; do
  analyze "untrained_$seed" configs/synthetic.yaml --untrained "$seed"
done
analyze shuffled configs/synthetic.yaml "$(checkpoint shuffled)"
analyze au configs/synthetic_au.yaml "$(checkpoint au)"
analyze main configs/synthetic.yaml "$(checkpoint main)"
.venv/bin/python scripts/fau_controls_summary.py "$out" | tee "$out/summary.md"
