"""Print the FAU controls' summary (Markdown) from the reports scripts/fau_controls.sh wrote.

python scripts/fau_controls_summary.py runs/fau_controls
"""

import json
import sys
from pathlib import Path

ROWS = [
    ("untrained_100", "untrained network, seed 100", "at most 1"),
    ("untrained_101", "untrained network, seed 101", "at most 1"),
    ("untrained_102", "untrained network, seed 102", "at most 1"),
    ("shuffled", "trained on shuffled expression labels", "at most 1"),
    ("au", "trained to detect the AUs (positive control)", "at least 15"),
    ("main", "the main job (expressions)", "what survives"),
]


REPORTS = [
    ("report", "held-out folds and 240 more people of the same population (the verdict)"),
    ("report_folds", "held-out folds only (24 subjects)"),
]


def summary_table(folder: Path, report: str) -> None:
    print(
        "| network | test | evidence people | evidence images | AUs tested | above chance | above untrained | within emotion | in region | held-out mean AUROC | recovered | AUs recovered | expected |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, label, expected in ROWS:
        numbers = json.loads((folder / name / report / "report.json").read_text())
        fau, metrics = numbers["fau"], numbers["test"]["metrics"]
        test = (
            f"AUROC {metrics['test/auroc']:.3f}" if "test/auroc" in metrics else f"accuracy {metrics['test/acc']:.3f}"
        )
        recovered = [a["au"] for a in fau["alignments"] if a["recovered"]]
        counts = " | ".join(
            str(int(fau[k]))
            for k in (
                "fau/tested_aus",
                "fau/above_chance_aus",
                "fau/above_control_aus",
                "fau/within_emotion_aus",
                "fau/region_aus",
            )
        )
        evidence = fau["evidence"]
        print(
            f"| {label} | {test} | {evidence['people']} | {evidence['images']:,} | {counts} | {fau['fau/mean_heldout_auroc']:.3f} | **{len(recovered)}** | {recovered} | {expected} |"
        )


def main(folder: Path) -> None:
    merged = json.loads((folder / "main" / "report" / "report.json").read_text())["fau"]["merged_regions"]
    print(f"Regions tested as one at this input size: {', '.join('+'.join(g) for g in merged) or 'none'}.")
    for report, evidence in REPORTS:
        print(f"\nEvidence: {evidence}.\n")
        summary_table(folder, report)
    for name, label in (("main", "the main job's network"), ("au", "the AU detector")):
        print(f"\n{label.capitalize()}, AU by AU (with the 240 more people):\n")
        print((folder / name / "report" / "fau_alignment.md").read_text())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
