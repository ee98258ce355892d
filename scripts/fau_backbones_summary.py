"""The two bodies side by side (Markdown), from what scripts/fau_backbones.sh wrote: per network its
trainings (test accuracy, specific detectors, recovered AUs, time), its controls, and per AU how many
of the seeds give it a specific detector and how many recover it, graded by this version's rule.

    python scripts/fau_backbones_summary.py runs/fau_backbones
"""

import sys
from pathlib import Path

from fau_seeds_summary import read_report, training_report, verdicts

from fau_lightning.analysis.verdict_tests import VerdictTest
from fau_lightning.evaluation.task_reports import report_of

NETWORKS = {"zero_bias_cnn": "zero-bias CNN", "resnet18": "ResNet-18"}


def seeds(folder: Path) -> list[str]:
    return sorted(p.parent.name for p in folder.glob("seed_*/result.json"))


def reports_of_run(folder: Path, name: str) -> list[dict]:
    """A run's report.json files: its training's tested checkpoint's (or an untrained network's `report/`),
    then those of the same network judged at other layers (`report_<layer>/`; other reports, such as the
    controls study's on fewer people, are not this comparison's).
    """
    run = folder / name
    first = (
        read_report(training_report(folder, name)) if (run / "result.json").exists() else read_report(run / "report")
    )
    others = {p.name: read_report(p) for p in sorted(run.glob("report_*")) if (p / "report.json").exists()}
    return [first, *(numbers for name, numbers in others.items() if name == f"report_{_layer(numbers)}")]


def _layer(numbers: dict) -> str:
    return numbers["fau"]["settings"]["layer"]


def seconds(folder: Path, name: str) -> str:
    path = folder / name / "seconds"
    return f"{int(path.read_text()) / 60:.1f} min" if path.exists() else "–"


def run_rows(folder: Path, label: str) -> list[str]:
    rows = []
    for name in [*seeds(folder), "shuffled", "untrained_100"]:
        if not (folder / name).exists():
            continue
        for index, numbers in enumerate(reports_of_run(folder, name)):
            judged = verdicts(numbers["fau"])
            test = numbers["test"]
            accuracy = f"{test['metrics'][report_of(test).headline]:.3f}" if test else "–"
            detectors = [v.au for v in judged if v.detector]
            region_only = sum(set(v.failed) <= {VerdictTest.REGION} for v in judged)
            rows.append(
                f"| {label} | {name.replace('_', ' ')} | {accuracy} | **{len(detectors)}** "
                f"({', '.join(map(str, detectors)) or '–'}) | {sum(v.recovered for v in judged)} | {region_only} | "
                f"{_layer(numbers)} | {seconds(folder, name) if index == 0 else 'fau-analyze'} |"
            )
    return rows


def au_rows(folders: dict[str, Path]) -> list[str]:
    """Per AU, for each network and layer judged: in how many seeds it has a specific detector, is recovered."""
    columns: dict[str, list[list]] = {}  # "network, layer" -> each seed's verdicts
    for network, folder in folders.items():
        for name in seeds(folder):
            for numbers in reports_of_run(folder, name):
                key = f"{NETWORKS[network]}, {_layer(numbers)}"
                columns.setdefault(key, []).append(verdicts(numbers["fau"]))
    codes = sorted({v.au for runs in columns.values() for run in runs for v in run})
    header = " | ".join(f"{key}: specific detector | recovered" for key in columns)
    lines = [f"| AU | {header} |", "|---|" + "---|---|" * len(columns)]
    for au in codes:
        cells = []
        for runs in columns.values():
            tested = [v for run in runs for v in run if v.au == au]
            cells += [
                f"{sum(v.detector for v in tested)} of {len(tested)}",
                f"{sum(v.recovered for v in tested)} of {len(tested)}",
            ]
        lines.append(f"| {au} | {' | '.join(cells)} |")
    return lines


def main(folder: Path) -> None:
    folders = {network: folder / network for network in NETWORKS if (folder / network).is_dir()}
    print(
        "| network | run | test accuracy | specific detectors | recovered | pass chance, controls and within emotion "
        "| layer judged | training and verdict |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for network, path in folders.items():
        print("\n".join(run_rows(path, NETWORKS[network])))
    print(
        "\nPer AU, over the seeds (specific detector: the unit passes every test and answers its AU more than any "
        "other where AUs come independently):\n"
    )
    print("\n".join(au_rows(folders)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
