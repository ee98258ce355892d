#!/usr/bin/env bash
# The same protocol and verdict on two bodies (docs/results/backbones.md): the paper's zero-bias CNN and
# ResNet-18 (docs/networks.md), each trained with the main job's recipe (configs/synthetic.yaml, 48x48,
# fold 0) with seeds 0, 1 and 2 and judged by its training run against 30 untrained networks of its own
# architecture; each architecture's controls: an untrained network (seed 100) and a network trained on
# shuffled expression labels. ResNet-18's runs are also judged at layer1 and layer2 (fau-analyze,
# report_<layer>/): its deepest maps (layer4, the `auto` layer) step 32 px, too far apart at 48x48 for the
# region test to tell any facial regions apart; layer1 steps 4 px, as the zero-bias CNN's conv3 does.
# A run whose result.json exists is not trained again (so the zero-bias CNN's runs
# can be the seeds and controls studies' own: scripts/fau_seeds.sh, scripts/fau_controls.sh).
# Results go to runs/fau_backbones/<network>/ (summary.md beside them). Extra arguments go to every command;
# FAU_NETWORKS="resnet18" runs one body only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
out=runs/fau_backbones
extra=("$@")

train() {  # network, run name, fau-train arguments...
  local network=$1 name=$2 folder="$out/$1/$2"
  shift 2
  [[ -f "$folder/result.json" ]] && return
  mkdir -p "$folder"
  local start
  start=$(date +%s)
  .venv/bin/python scripts/log_run.py "$folder/train.log" -- .venv/bin/fau-train fit --config configs/synthetic.yaml \
      --model.network "$network" --checkpoint_dir "$folder/checkpoints" --results_json "$folder/result.json" \
      "$@" "${extra[@]}"
  echo $(($(date +%s) - start)) > "$folder/seconds"
}

checkpoint() { .venv/bin/python -c "import json, sys; print(json.load(open(sys.argv[1]))['checkpoint'])" "$1/result.json"; }
judge_layer() {  # network, run name, layer: the run judged again at another layer
  local folder="$out/$1/$2" model
  [[ -f "$folder/report_$3/report.json" ]] && return
  if [[ -f "$folder/result.json" ]]; then model=("$(checkpoint "$folder")"); else model=(--untrained 100 --config configs/synthetic.yaml); fi
  .venv/bin/python scripts/log_run.py "$folder/analyze_$3.log" -- .venv/bin/fau-analyze "${model[@]}" \
      --analysis.layer "$3" --output "$folder/report_$3" -- --model.network="$1" "${extra[@]}"
}

read -r -a networks <<<"${FAU_NETWORKS:-zero_bias_cnn resnet18}"
for network in "${networks[@]}"; do
  for seed in 0 1 2; do
    train "$network" "seed_$seed" --seed_everything "$seed"
  done
  train "$network" shuffled --seed_everything 0 --data.init_args.shuffle_train_labels=true
  folder="$out/$network/untrained_100"
  if [[ ! -f "$folder/report/report.json" ]]; then
    mkdir -p "$folder"
    .venv/bin/python scripts/log_run.py "$folder/analyze.log" -- .venv/bin/fau-analyze --untrained 100 \
        --config configs/synthetic.yaml --output "$folder/report" -- --model.network="$network" "${extra[@]}"
  fi
  if [[ "$network" == resnet18 ]]; then
    for layer in layer1 layer2; do
      for name in seed_0 seed_1 seed_2 shuffled untrained_100; do judge_layer "$network" "$name" "$layer"; done
    done
  fi
done
.venv/bin/python scripts/fau_backbones_summary.py "$out" | tee "$out/summary.md"
