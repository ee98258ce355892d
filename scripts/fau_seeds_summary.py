"""Print how stable the FAU verdict is across trainings (Markdown), from the reports
scripts/fau_seeds.sh (or scripts/fau_96.sh) wrote: one row per training, one row per AU (specific
detectors first, graded by this version's rule whatever version wrote the report), and what the region
test decided beyond the face half its unit lies in.

python scripts/fau_seeds_summary.py runs/fau_seeds
"""

import json
import math
import sys
from pathlib import Path

from fau_lightning.analysis.effect_sizes import GRADE_LABELS
from fau_lightning.analysis.settings import AlignmentSettings
from fau_lightning.analysis.statistics import AUVerdict, verdict_from_record
from fau_lightning.analysis.verdict_tests import VerdictTest
from fau_lightning.errors import InputError
from fau_lightning.evaluation.task_reports import report_of

FOLDS = ["seed_0", "fold_1", "fold_2"]  # seed 0
HEADLINE_SHARE = (
    0.8  # an AU is in the headline when it has a specific detector in at least this share of the seeds (4 of 5)
)
UPPER_FACE = {"brows", "eyes", "nose"}


def training_report(folder: Path, name: str) -> Path:
    """The `<checkpoint>.report/` folder the training in `folder/name/` wrote for its tested checkpoint
    (its `--results_json` names the checkpoint).
    """
    return Path(json.loads((folder / name / "result.json").read_text())["checkpoint"]).with_suffix(".report")


def read_report(folder: Path) -> dict:
    """A report folder's report.json; one line naming it, and exit, when its verdicts cannot be read by
    this version (a report from before a field existed).
    """
    numbers = json.loads((folder / "report.json").read_text())
    try:
        verdicts(numbers["fau"])
    except InputError as err:
        raise SystemExit(f"{folder / 'report.json'}: {err}") from None
    return numbers


def load(folder: Path, name: str) -> tuple[dict, dict]:
    """(the verdict of the training's tested checkpoint and its test record, from its report.json)."""
    numbers = read_report(training_report(folder, name))
    return numbers["fau"], numbers["test"]


def report_settings(fau: dict) -> AlignmentSettings:
    """The verdict settings a report was judged with (its `fau.settings` also hold the analysis's others)."""
    return AlignmentSettings(**{k: v for k, v in fau["settings"].items() if k in AlignmentSettings.__annotations__})


def verdicts(fau: dict) -> list[AUVerdict]:
    """A report's per-AU verdicts, graded by this version's rule (`statistics.verdict_from_record`)."""
    settings = report_settings(fau)
    return [verdict_from_record(record, settings) for record in fau["alignments"]]


def run_table(reports: dict[str, tuple[dict, dict]]) -> list[str]:
    lines = [
        "| training | test accuracy | specific detectors | their grades | responds to another AU "
        "| recovered | whole maps | AUs with a specific detector |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, (fau, test) in reports.items():
        judged = verdicts(fau)
        detectors = [v.au for v in judged if v.detector]
        counts = {label: sum(v.detector and v.grade == label for v in judged) for label in GRADE_LABELS}
        grades = ", ".join(f"{n} {label}" for label, n in counts.items() if n) or "–"
        lines.append(
            f"| {name.replace('_', ' ')} | {test['metrics'][report_of(test).headline]:.3f} | **{len(detectors)}** | "
            f"{grades} | {sum(v.responds_to_other for v in judged)} | {sum(v.recovered for v in judged)} | "
            f"{len(fau['whole_map']['recovered'])} | {', '.join(map(str, detectors))} |"
        )
    return lines


def _outcome_mark(verdict: AUVerdict | None) -> str:
    if verdict is None:
        return "–"
    return "✓" if verdict.detector else "~" if verdict.recovered else "·"


def au_table(reports: dict[str, tuple[dict, dict]], seed_names: list[str]) -> tuple[list[str], list[int]]:
    """The per-AU table and the headline set (a specific detector in at least HEADLINE_SHARE of the seeds)."""
    needed = math.ceil(HEADLINE_SHARE * len(seed_names))
    per_au: dict[int, dict[str, AUVerdict]] = {}
    for name, (fau, _) in reports.items():
        for verdict in verdicts(fau):
            per_au.setdefault(verdict.au, {})[name] = verdict
    lines = [
        f"| AU | specific detector ({len(seed_names)} seeds) | recovered | grades | within-emotion AUROC "
        "| responds to another AU | whole map | folds 0, 1, 2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    whole = {name: set(fau["whole_map"]["recovered"]) for name, (fau, _) in reports.items()}
    headline = []
    for au, runs in sorted(per_au.items()):
        seeds = [runs[n] for n in seed_names if n in runs]
        detectors = sum(v.detector for v in seeds)
        grades = "; ".join(sorted({v.grade for v in seeds if v.detector}, key=GRADE_LABELS.index)) or "–"
        within = [v.within_auroc for v in seeds]
        rivals = sorted({v.rival for v in seeds if v.responds_to_other})
        others = f"{sum(v.responds_to_other for v in seeds)} of {len(seeds)}" + (
            f" (AU {', '.join(map(str, rivals))})" if rivals else ""
        )
        if detectors >= needed:
            headline.append(au)
        lines.append(
            f"| {au} | **{detectors} of {len(seeds)}** | {sum(v.recovered for v in seeds)} of {len(seeds)} | "
            f"{grades} | {min(within):.2f}–{max(within):.2f} | {others} | "
            f"{sum(au in whole[n] for n in seed_names if n in whole)} of {len(seeds)} | "
            f"{''.join(_outcome_mark(runs.get(n)) for n in FOLDS)} |"
        )
    return lines, headline


def face_half(region: str) -> str:
    """'upper' or 'lower' for a tested region or merged group ('brows+eyes+nose'), 'both' for a group across."""
    parts = set(region.split("+"))
    return "upper" if parts <= UPPER_FACE else "lower" if not parts & UPPER_FACE else "both"


def unit_half(unit: str) -> str | None:
    """'upper' or 'lower' for a quadrant unit ('f16 top left'); None for a whole map."""
    return "upper" if " top " in unit else "lower" if " bottom " in unit else None


def region_table(verdicts: dict[str, dict]) -> list[str]:
    """What the region test decided beyond the face half its unit lies in: per network (name: its report's
    `fau`), on how many AUs the region test's outcome equals "the best unit is a quadrant of the AU's half
    of the face", and which AUs failed the region test alone (their verdict is the region test's doing).
    """
    lines = [
        "| network | region test = unit's face half | failed the region test alone (unit, found in) |",
        "|---|---|---|",
    ]
    for name, fau in verdicts.items():
        quadrant = [a for a in fau["alignments"] if a["region"] and unit_half(a["unit"])]
        region = VerdictTest.REGION
        same = sum((region not in a["failed"]) == (unit_half(a["unit"]) == face_half(a["region"])) for a in quadrant)
        alone = [f"AU {a['au']} ({a['unit']}, {a['found_in']})" for a in fau["alignments"] if a["failed"] == [region]]
        lines.append(f"| {name.replace('_', ' ')} | {same} of {len(quadrant)} | {', '.join(alone) or '–'} |")
    return lines


def main(folder: Path) -> None:
    seed_names = sorted(p.parent.name for p in folder.glob("seed_*/result.json"))  # fold 0
    reports = {
        name: load(folder, name)
        for name in dict.fromkeys(seed_names + FOLDS)
        if (folder / name / "result.json").exists()
    }
    print("\n".join(run_table(reports)))
    lines, headline = au_table(reports, seed_names)
    print("\n" + "\n".join(lines))
    print(
        f"\nA specific detector with at least {math.ceil(HEADLINE_SHARE * len(seed_names))} of the "
        f"{len(seed_names)} seeds ({len(headline)} AUs): {', '.join(map(str, headline))}."
        "\n\nfolds: ✓ a specific detector, ~ recovered but not a specific detector, · not recovered."
    )
    print("\n" + "\n".join(region_table({name: fau for name, (fau, _) in reports.items()})))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
