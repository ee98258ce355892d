#!/usr/bin/env bash
# How stable the FAU verdict is across trainings (docs/results/fau_seeds.md): the main job (48x48,
# configs/synthetic.yaml) trained with five seeds on fold 0 and, at seed 0, on folds 1 and 2; each
# network judged with the headline evidence (held-out folds and 240 more people) by the training run
# itself, which writes <checkpoint>.report/ as fau-analyze would. Seven trainings of about 4 minutes
# on 2 CPU cores. Results go to runs/fau_seeds/ (summary.md there).
#   bash scripts/fau_seeds.sh               # train (and judge)
#   bash scripts/fau_seeds.sh --judge_only  # judge the trained checkpoints again with fau-analyze (after a change to the analysis)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
out=runs/fau_seeds
mkdir -p "$out"
runs=("seed_0 0 0" "seed_1 1 0" "seed_2 2 0" "seed_3 3 0" "seed_4 4 0" "fold_1 0 1" "fold_2 0 2")  # name, seed, fold

checkpoint() { .venv/bin/python -c "import json, sys; print(json.load(open(sys.argv[1]))['checkpoint'])" "$out/$1/result.json"; }

for run in "${runs[@]}"; do
  read -r name seed fold <<<"$run"
  mkdir -p "$out/$name"
  start=$(date +%s)
  if [[ "${1:-}" == "--judge_only" ]]; then
    .venv/bin/python scripts/log_run.py "$out/$name/analyze.log" -- .venv/bin/fau-analyze "$(checkpoint "$name")" --overwrite
    echo "$name: judged in $(($(date +%s) - start)) s"
  else
    .venv/bin/python scripts/log_run.py "$out/$name/train.log" -- \
        .venv/bin/fau-train fit --config configs/synthetic.yaml --seed_everything "$seed" --data.init_args.fold "$fold" \
        --checkpoint_dir "$out/$name/checkpoints" --results_json "$out/$name/result.json"
    echo "$name: trained and judged in $(($(date +%s) - start)) s"
  fi
done
.venv/bin/python scripts/fau_seeds_summary.py "$out" | tee "$out/summary.md"
