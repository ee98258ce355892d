"""Print how stable the FAU verdict is across trainings (Markdown), from the reports
scripts/fau_seeds.sh wrote: one row per training, then one row per AU.

python scripts/fau_seeds_summary.py runs/fau_seeds
"""

import json
import sys
from pathlib import Path

SEEDS = [f"seed_{s}" for s in range(5)]  # fold 0
FOLDS = ["seed_0", "fold_1", "fold_2"]  # seed 0
GRADES = ("strong", "clear", "weak")
HEADLINE_SEEDS = 4  # an AU is in the headline when recovered with at least this many of the five seeds


def load(folder: Path, name: str) -> tuple[dict, dict]:
    """(the verdict of the training's tested checkpoint, from `<checkpoint>.report/report.json`, and
    the training's test metrics).
    """
    result = json.loads((folder / name / "result.json").read_text())
    report = Path(result["checkpoint"]).with_suffix(".report") / "report.json"
    return json.loads(report.read_text())["fau"], result["metrics"]


def run_table(reports: dict[str, tuple[dict, dict]]) -> list[str]:
    lines = [
        "| training | test accuracy | recovered | strong | clear | weak | specific | whole maps | AUs recovered |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, (fau, metrics) in reports.items():
        grades = " | ".join(str(len(fau["grades"][g])) for g in GRADES)
        lines.append(
            f"| {name.replace('_', ' ')} | {metrics['test/acc']:.3f} | **{len(fau['recovered'])}** | {grades} | "
            f"{int(fau['fau/specific_aus'])} | {len(fau['whole_map']['recovered'])} | "
            f"{', '.join(map(str, fau['recovered']))} |"
        )
    return lines


def au_table(reports: dict[str, tuple[dict, dict]]) -> tuple[list[str], list[int]]:
    """The per-AU table and the headline set (recovered with at least HEADLINE_SEEDS of the five seeds)."""
    per_au: dict[int, dict[str, dict]] = {}
    for name, (fau, _) in reports.items():
        for alignment in fau["alignments"]:
            per_au.setdefault(alignment["au"], {})[name] = alignment
    lines = [
        "| AU | recovered (5 seeds) | grades | within-emotion AUROC (5 seeds) | specific (5 seeds) "
        "| whole map (5 seeds) | folds 0, 1, 2 |",
        "|---|---|---|---|---|---|---|",
    ]
    whole = {name: set(fau["whole_map"]["recovered"]) for name, (fau, _) in reports.items()}
    headline = []
    for au, runs in sorted(per_au.items()):
        seeds = [runs[n] for n in SEEDS if n in runs]
        recovered = sum(a["recovered"] for a in seeds)
        grades = sorted({a["grade"] for a in seeds if a["grade"]}, key=GRADES.index)
        grade_range = "–" if not grades else grades[0] if len(grades) == 1 else f"{grades[0]} to {grades[-1]}"
        within = [a["within_auroc"] for a in seeds]
        folds = "".join("✓" if n in runs and runs[n]["recovered"] else "·" for n in FOLDS)
        if recovered >= HEADLINE_SEEDS:
            headline.append(au)
        lines.append(
            f"| {au} | {recovered} of {len(seeds)} | {grade_range} | "
            f"{min(within):.2f}–{max(within):.2f} | {sum(a['specific'] for a in seeds)} of {len(seeds)} | "
            f"{sum(au in whole[n] for n in SEEDS if n in whole)} of {len(seeds)} | {folds} |"
        )
    return lines, headline


def main(folder: Path) -> None:
    reports = {
        name: load(folder, name) for name in dict.fromkeys(SEEDS + FOLDS) if (folder / name / "result.json").exists()
    }
    print("\n".join(run_table(reports)))
    lines, headline = au_table(reports)
    print("\n" + "\n".join(lines))
    print(
        f"\nRecovered with at least {HEADLINE_SEEDS} of the 5 seeds ({len(headline)} AUs): "
        f"{', '.join(map(str, headline))}."
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
