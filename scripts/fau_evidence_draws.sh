#!/usr/bin/env bash
# One checkpoint's FAU verdict judged on several independent draws of the built-in set's further people
# (fau-analyze --evidence_draw K: draw 0 is the evidence the checkpoint's data names, draw K >= 1 as
# many new people, disjoint from every other draw and from training), and how far the draws agree.
# Each draw generates its people once (cached) and computes its own untrained controls, the work of the
# main job's verdict stage (about 6 min on 2 CPU cores, cold); draw 0 reuses the main job's caches. Reports go to runs/fau_evidence_draws/draw_K/, the table to stdout and
# runs/fau_evidence_draws/summary.md (copy it to docs/results/fau_evidence_draws.md with its command).
#   bash scripts/fau_evidence_draws.sh CHECKPOINT [DRAWS]    # DRAWS default "0 1 2 3"
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint=${1:?give the checkpoint to judge, e.g. the best-*.ckpt of the main job}
draws=${2:-0 1 2 3}
bash scripts/setup.sh
export WANDB_ERROR_REPORTING=false NO_ALBUMENTATIONS_UPDATE=1
out=runs/fau_evidence_draws
mkdir -p "$out"
folders=()
for k in $draws; do
  start=$(date +%s)
  .venv/bin/python scripts/log_run.py "$out/draw_$k.log" -- \
      .venv/bin/fau-analyze "$checkpoint" --evidence_draw "$k" --output "$out/draw_$k" --overwrite
  echo "draw $k: judged in $(($(date +%s) - start)) s"
  folders+=("$out/draw_$k")
done
.venv/bin/python scripts/fau_evidence_draws_summary.py "${folders[@]}" | tee "$out/summary.md"
