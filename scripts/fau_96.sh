#!/usr/bin/env bash
# The FAU verdict at the paper's CK+ input size, 96x96 (docs/results/fau_controls.md):
#   positive control: the AU detector (configs/synthetic_au.yaml at 96x96), trained until its validation
#                     AUROC first reaches what the 48x48 detector's outputs reach on the held-out test
#                     people (0.956; at most 160 epochs), then tested on them and judged;
#   negative control: an untrained network (seed 100, outside the control distribution's 0-29);
#   the main job (configs/synthetic.yaml at 96x96, its 30 epochs) with seeds 0, 1 and 2 on fold 0, graded
#                     against the 96x96 AU detector's own units (scripts/grade_thresholds.py).
# Every network is judged with the headline evidence (held-out folds and 240 more people), trained ones by
# their training run (<checkpoint>.report/). The first judgement makes the 30 untrained networks' activations
# at 96x96 (cached in ~/.cache/fau_lightning/controls). About 2¼ hours on 2 CPU cores, 1¼ with those cached
# (the times are in docs/results/fau_controls.md). Results go to runs/fau_96/ (summary.md there).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
out=runs/fau_96
size=(--data.init_args.image_size=96)
detector_48_auroc=0.956  # runs/fau_controls/au/result.json: test/auroc of the 48x48 AU detector (160 epochs)

train() {  # name, config, extra fau-train arguments...
  local name=$1 config=$2 start
  shift 2
  mkdir -p "$out/$name"
  start=$(date +%s)
  .venv/bin/python scripts/log_run.py "$out/$name/train.log" -- \
      .venv/bin/fau-train fit --config "$config" "${size[@]}" --checkpoint_dir "$out/$name/checkpoints" \
      --results_json "$out/$name/result.json" "$@"
  echo "$name: trained and judged in $(($(date +%s) - start)) s"
}

train au configs/synthetic_au.yaml \
    --trainer.callbacks+=pytorch_lightning.callbacks.EarlyStopping --trainer.callbacks.monitor=val/auroc \
    --trainer.callbacks.mode=max --trainer.callbacks.patience=1000 \
    --trainer.callbacks.stopping_threshold="$detector_48_auroc"
read -r strong clear < <(.venv/bin/python scripts/grade_thresholds.py "$out" au)
echo "grades at 96x96: strong from $strong, clear from $clear"
start=$(date +%s)
.venv/bin/python scripts/log_run.py "$out/untrained_100.log" -- \
    .venv/bin/fau-analyze --untrained 100 --config configs/synthetic.yaml --output "$out/untrained_100/report" --overwrite \
    --analysis.strong_auroc "$strong" --analysis.clear_auroc "$clear" -- "${size[@]}"
echo "untrained_100: judged in $(($(date +%s) - start)) s"
for seed in 0 1 2; do
  train "seed_$seed" configs/synthetic.yaml --seed_everything "$seed" \
      --analysis.strong_auroc="$strong" --analysis.clear_auroc="$clear"
done
{
  .venv/bin/python scripts/fau_controls_summary.py "$out"
  echo
  .venv/bin/python scripts/fau_seeds_summary.py "$out"
} | tee "$out/summary.md"
