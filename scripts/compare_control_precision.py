"""What bfloat16 forward passes do to the untrained networks' figures and to a checkpoint's verdict.

    python scripts/compare_control_precision.py CHECKPOINT [--config configs/synthetic.yaml] [--seeds 30]

Computes every untrained network's chosen units' held-out AUROCs twice, in float32 and in bfloat16 (no
cache), times both, and judges the checkpoint against each set: prints how far the AUROCs move, how
many move by more than 1e-3, and whether the verdict (AUs, grades, whole maps) and its control figures
(mean, sd, p) change. docs/speed.md quotes its output.
"""

import argparse
import dataclasses
import time

import numpy as np

from fau_lightning.analysis.controls import control_aurocs
from fau_lightning.analysis.evidence import analysis_probes
from fau_lightning.analysis.pipeline import judge, measure_units, prepare_evidence, verdict_line
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.cli.train import build_config
from fau_lightning.tasks import load_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--config", default="configs/synthetic.yaml")
    parser.add_argument("--seeds", type=int, default=AnalysisSettings().control_seeds)
    args = parser.parse_args()
    datamodule = build_config(["--config", args.config, "--trainer.callbacks=[]"]).datamodule
    datamodule.prepare_data()
    datamodule.setup("fit")
    selection, evidence = analysis_probes(datamodule)
    model = load_task(args.checkpoint).model.eval()
    settings = AnalysisSettings(control_seeds=0)
    prepared = prepare_evidence(model, selection, evidence, settings)  # designs, regions; no controls yet
    measured = measure_units(model, prepared, settings.layer, settings.cells, settings.top_sequences)
    probes = (selection.images, prepared.selection_design), (evidence.images, prepared.evidence_design)
    reports, figures = {}, {}
    for precision in ("32", "bf16"):
        start = time.perf_counter()
        controls = control_aurocs(model, settings.layer, settings.cells, list(range(args.seeds)), *probes, precision)
        seconds = (time.perf_counter() - start) / args.seeds
        figures[precision] = np.array([[c.units, c.whole_maps] for c in controls])  # (seeds, 2, AUs)
        judged = dataclasses.replace(
            prepared,
            controls=[c.units for c in controls],
            whole_map_controls=[c.whole_maps for c in controls],
            control_precision=precision,
        )
        reports[precision] = judge(judged, measured, settings)
        print(f"{precision}: {seconds:.1f} s a network")
    moved = np.abs(figures["bf16"] - figures["32"])
    for index, units in enumerate(("units", "whole maps")):
        part = moved[:, index]
        print(
            f"{units}: the untrained networks' AUROCs move by up to {np.nanmax(part):.1e}; "
            f"{int((part > 1e-3).sum())} of {part.size} by more than 1e-3"
        )
    exact, rounded = reports["32"], reports["bf16"]
    for name, verdicts in (("units", "verdicts"), ("whole maps", "whole_map")):
        pairs = list(zip(getattr(exact, verdicts), getattr(rounded, verdicts), strict=True))
        same = all(a.recovered == b.recovered and a.grade == b.grade for a, b in pairs)
        shifts = {f: max(abs(getattr(a, f) - getattr(b, f)) for a, b in pairs) for f in ("control_mean", "control_sd")}
        p_shift = max(abs(a.control_p - b.control_p) for a, b in pairs)
        print(
            f"verdict ({name}): same AUs and grades: {same}; control mean moves by up to "
            f"{shifts['control_mean']:.1e}, sd {shifts['control_sd']:.1e}, p {p_shift:.1e}"
        )
    print(f"32:   {verdict_line(exact)}\nbf16: {verdict_line(rounded)}")


if __name__ == "__main__":
    main()
