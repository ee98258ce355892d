"""The two bodies side by side (Markdown), from what scripts/fau_backbones.sh wrote: per network its
trainings (test accuracy, specific detectors, recovered AUs, time), its controls, and per AU how many
of the seeds give it a specific detector and how many recover it, graded by this version's rule.

    python scripts/fau_backbones_summary.py runs/fau_backbones
"""

import sys
from pathlib import Path

from fau_seeds_summary import read_report, training_report, verdicts

from fau_lightning.evaluation.task_reports import report_of

NETWORKS = {"zero_bias_cnn": "zero-bias CNN", "resnet18": "ResNet-18"}


def seeds(folder: Path) -> list[str]:
    return sorted(p.parent.name for p in folder.glob("seed_*/result.json"))


def report_of_run(folder: Path, name: str) -> dict:
    """A run's report.json: a training's tested checkpoint's, or an untrained network's (`report/`)."""
    if (folder / name / "result.json").exists():
        return read_report(training_report(folder, name))
    return read_report(folder / name / "report")


def seconds(folder: Path, name: str) -> str:
    path = folder / name / "seconds"
    return f"{int(path.read_text()) / 60:.1f} min" if path.exists() else "–"


def run_rows(folder: Path, label: str) -> list[str]:
    rows = []
    names = [*seeds(folder), "shuffled", "untrained_100"]
    for name in names:
        if not (folder / name).exists():
            continue
        numbers = report_of_run(folder, name)
        judged = verdicts(numbers["fau"])
        test = numbers["test"]
        accuracy = f"{test['metrics'][report_of(test).headline]:.3f}" if test else "–"
        detectors = [v.au for v in judged if v.detector]
        rows.append(
            f"| {label} | {name.replace('_', ' ')} | {accuracy} | **{len(detectors)}** "
            f"({', '.join(map(str, detectors)) or '–'}) | {sum(v.recovered for v in judged)} | "
            f"{numbers['fau']['settings']['layer']} | {seconds(folder, name)} |"
        )
    return rows


def au_rows(folders: dict[str, Path]) -> list[str]:
    per_network = {}
    for network, folder in folders.items():
        judged = {name: verdicts(report_of_run(folder, name)["fau"]) for name in seeds(folder)}
        per_network[network] = judged
    codes = sorted({v.au for judged in per_network.values() for run in judged.values() for v in run})
    header = " | ".join(f"{NETWORKS[n]}: specific detector | recovered" for n in per_network)
    lines = [f"| AU | {header} |", "|---|" + "---|---|" * len(per_network)]
    for au in codes:
        cells = []
        for judged in per_network.values():
            runs = [next((v for v in run if v.au == au), None) for run in judged.values()]
            tested = [v for v in runs if v is not None]
            cells.append(f"{sum(v.detector for v in tested)} of {len(tested)}")
            cells.append(f"{sum(v.recovered for v in tested)} of {len(tested)}")
        lines.append(f"| {au} | {' | '.join(cells)} |")
    return lines


def main(folder: Path) -> None:
    folders = {network: folder / network for network in NETWORKS if (folder / network).is_dir()}
    print("| network | run | test accuracy | specific detectors | recovered | layer judged | training and verdict |")
    print("|---|---|---|---|---|---|---|")
    for network, path in folders.items():
        print("\n".join(run_rows(path, NETWORKS[network])))
    print(
        "\nPer AU, over the seeds (specific detector: the unit passes every test and answers its AU more than any "
        "other where AUs come independently):\n"
    )
    print("\n".join(au_rows(folders)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
