"""How much the analysis callbacks add to the main job: one run, the callbacks' own time against the rest.

    python scripts/callback_overhead.py [extra fau-train overrides]
Trains `configs/synthetic.yaml` as shipped (FilterVisualization and FAUAlignmentLogger on, W&B
offline as in the main job) and prints fit's wall time, the seconds spent inside the two callbacks,
and the overhead as a share of the time without them. The FAU callback's untrained controls are
computed once per data and architecture and then read from the cache: pass
`--fresh_control_cache` to count that first computation too.
"""

import os
import sys
import tempfile
import time

import wandb

from fau_lightning.cli.train import run_cli

CALLBACKS = ["fau_lightning.callbacks.FilterVisualization", "fau_lightning.callbacks.FAUAlignmentLogger"]

if __name__ == "__main__":
    args = [
        "fit",
        "--config",
        "configs/synthetic.yaml",
        "--test_after_fit=false",
        "--trainer.enable_progress_bar=false",
    ]
    extra = sys.argv[1:]
    if "--fresh_control_cache" in extra:
        extra.remove("--fresh_control_cache")
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()  # where the default control cache lives
    args += extra
    start = time.perf_counter()
    cli = run_cli(args)
    total = time.perf_counter() - start
    wandb.finish()
    spent = {
        type(c).__name__: (c.seconds, c.runs)
        for c in cli.trainer.callbacks
        if type(c).__name__ in {n.rsplit(".", 1)[1] for n in CALLBACKS}
    }
    inside = sum(seconds for seconds, _ in spent.values())
    for name, (seconds, runs) in spent.items():
        print(f"{name}: {seconds:.1f} s over {runs} runs")
    print(
        f"fit wall time {total:.1f} s, of which callbacks {inside:.1f} s: overhead {100 * inside / (total - inside):.1f} % of the job without them"
    )
