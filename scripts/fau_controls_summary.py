"""Print the FAU controls' summary (Markdown) from the reports scripts/fau_controls.sh (or
scripts/fau_96.sh, which runs some of the controls) wrote; networks or evidence sets not run are left out.

python scripts/fau_controls_summary.py runs/fau_controls
"""

import json
import sys
from pathlib import Path

from fau_seeds_summary import read_report, region_table, training_report, verdicts

from fau_lightning.evaluation.task_reports import report_of

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


def report_folder(folder: Path, name: str, report: str) -> Path | None:
    """Where a network's report for one evidence set lies: `<name>/<report>/` as fau-analyze writes it or, for
    the headline evidence, the `<checkpoint>.report/` its training run wrote; None when neither exists.
    """
    if (folder / name / report / "report.json").exists():
        return folder / name / report
    if report == "report" and (folder / name / "result.json").exists():
        written = training_report(folder, name)
        return written if (written / "report.json").exists() else None
    return None


def summary_table(folder: Path, report: str) -> None:
    print(
        "| network | test | evidence people | evidence images | AUs tested | above chance | above untrained "
        "| within emotion | in region | held-out mean AUROC | specific detectors | responds to another AU "
        "| recovered | AUs with a specific detector | expected |"
    )
    print("|---" * 15 + "|")
    for name, label, expected in ROWS:
        found = report_folder(folder, name, report)
        if found is None:
            continue
        numbers = read_report(found)
        fau, metrics = numbers["fau"], numbers["test"]["metrics"]  # training and fau-analyze reports alike
        test = report_of(numbers["test"]).headline_text(metrics, digits=3)
        judged = verdicts(fau)
        detectors = [v.au for v in judged if v.detector]
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
            f"| {label} | {test} | {evidence['people']} | {evidence['images']:,} | {counts} | "
            f"{fau['fau/mean_heldout_auroc']:.3f} | **{len(detectors)}** | {sum(v.responds_to_other for v in judged)} | "
            f"{sum(v.recovered for v in judged)} | {detectors} | {expected} |"
        )


def main(folder: Path) -> None:
    reports = {(name, report): report_folder(folder, name, report) for name, _, _ in ROWS for report, _ in REPORTS}
    any_report = next(found for found in reports.values() if found is not None)
    merged = json.loads((any_report / "report.json").read_text())["fau"]["merged_regions"]
    print(f"Regions tested as one at this input size: {', '.join('+'.join(g) for g in merged) or 'none'}.")
    for report, evidence in REPORTS:
        if any(reports[name, report] for name, _, _ in ROWS):
            print(f"\nEvidence: {evidence}.\n")
            summary_table(folder, report)
    verdicts = {
        label: json.loads((reports[name, "report"] / "report.json").read_text())["fau"]
        for name, label, _ in ROWS
        if reports[name, "report"]
    }
    print("\nWhat the region test decided beyond the face half of each best unit (the verdict's evidence):\n")
    print("\n".join(region_table(verdicts)))
    for name, label in (("main", "the main job's network"), ("au", "the AU detector")):
        if reports[name, "report"]:
            print(f"\n{label.capitalize()}, AU by AU (with the 240 more people):\n")
            print((reports[name, "report"] / "fau_alignment.md").read_text())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
