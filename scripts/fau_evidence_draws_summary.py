"""The FAU verdict of one checkpoint on several independent draws of evidence people, as Markdown tables.

Per draw: the specific detectors, the AUs recovered, the whole-map count and each AU's outcome under
the shipped rule; then how far the draws agree, all read from the same report.json files:

- shipped rule: a recovered AU is a specific detector (its unit answers its own AU more than any other,
  beyond the resampling of people), responds to another AU more (beyond it too), or neither is shown;
  detectors are graded by as much as their within-emotion AUROC's interval settles ("strong", "clear
  or strong"). Two draws *contradict* on an AU when one recovers it and the other does not, when one
  finds a specific detector and the other a unit that answers another AU more, or when both find a
  detector and their grades have none in common; any other difference is a *refinement* (one draw
  settles what the other leaves open), counted apart;
- earlier rule: every recovered AU graded by its within-emotion AUROC (the shipped rule before);
- interval rule: every recovered AU graded by the lower bound of that AUROC's 95 % interval.

    python scripts/fau_evidence_draws_summary.py runs/fau_evidence_draws/draw_0 runs/fau_evidence_draws/draw_1 ...
"""

import itertools
import sys
from pathlib import Path

from fau_seeds_summary import read_report, report_settings, verdicts

from fau_lightning.analysis.effect_sizes import GRADES, grade
from fau_lightning.analysis.settings import AlignmentSettings
from fau_lightning.analysis.statistics import AUVerdict

OTHER_RULES = {
    "point": "earlier rule (every recovered AU graded by its AUROC)",
    "interval": "interval rule (every recovered AU graded by its interval's lower bound)",
}


def shipped_label(verdict: AUVerdict) -> str:
    """The shipped rule's word for the AU: a detector's grade, "to AU k" (answers AU k more), "≈ AU k"
    (AU k about as much), a grade with "?" (specificity not measurable) or "-" (not recovered).
    """
    if not verdict.recovered:
        return "-"
    if verdict.responds_to_other:
        return f"to AU {verdict.rival}"
    if verdict.specificity_unsettled:
        return f"≈ AU {verdict.rival}"
    return verdict.grade if verdict.detector else f"{verdict.grade}?"


def other_label(verdict: AUVerdict, rule: str, settings: AlignmentSettings) -> str:
    if not verdict.recovered:
        return "-"
    value = verdict.within_auroc if rule == "point" else verdict.within_interval[0]
    return grade(value, settings.strong_auroc, settings.clear_auroc)


def claims(label: str) -> tuple[str, set[str]]:
    """(category, grades a detector's label allows) of a shipped label."""
    for kind in ("-", "to AU", "≈ AU"):
        if label.startswith(kind):
            return kind, set()
    return "detector", {g for g in GRADES if g in label.removesuffix("?")}


def contradict(a: str, b: str) -> bool:
    (kind_a, grades_a), (kind_b, grades_b) = claims(a), claims(b)
    if "-" in (kind_a, kind_b):
        return kind_a != kind_b
    if {kind_a, kind_b} == {"detector", "to AU"}:
        return True
    return kind_a == kind_b == "detector" and not grades_a & grades_b


def draw_row(name: str, fau: dict) -> dict:
    settings, judged = report_settings(fau), verdicts(fau)
    further = fau["evidence"].get("further_people") or {}
    people = f"{further['first_subject']}-{further['first_subject'] + further['people'] - 1}" if further else "?"
    return {
        "name": name,
        "people": people,
        "recovered": sorted(v.au for v in judged if v.recovered),
        "detectors": sorted(v.au for v in judged if v.detector),
        "whole_maps": len(fau["whole_map"]["recovered"]),
        "shipped": {v.au: shipped_label(v) for v in judged},
        **{rule: {v.au: other_label(v, rule, settings) for v in judged} for rule in OTHER_RULES},
    }


def table(rows: list[dict]) -> str:
    aus = sorted(rows[0]["shipped"])
    lines = [
        "| draw | further people | specific detectors | recovered | whole maps | "
        + " | ".join(f"AU {au}" for au in aus)
        + " |",
        "|---" * (5 + len(aus)) + "|",
    ]
    for row in rows:
        lines.append(
            f"| {row['name']} | {row['people']} | **{len(row['detectors'])}** | {len(row['recovered'])} | "
            f"{row['whole_maps']} | " + " | ".join(row["shipped"][au] for au in aus) + " |"
        )
    return "\n".join(lines)


def _difference(a: list[int], b: list[int]) -> str:
    return "same" if a == b else f"differs ({sorted(set(a) ^ set(b))})"


def compared(a: dict, b: dict) -> dict[str, list[int]]:
    """AUs that differ between two draws: shipped contradictions and refinements, and the other rules' changes."""
    shipped_a, shipped_b = a["shipped"], b["shipped"]
    contradictions = [au for au in shipped_a if contradict(shipped_a[au], shipped_b[au])]
    refined = [au for au in shipped_a if au not in contradictions and claims(shipped_a[au]) != claims(shipped_b[au])]
    return {
        "contradictions": contradictions,
        "refinements": refined,
        **{rule: [au for au in a[rule] if a[rule][au] != b[rule][au]] for rule in OTHER_RULES},
    }


def agreement(rows: list[dict]) -> str:
    pairs = [(a, b, compared(a, b)) for a, b in itertools.combinations(rows, 2)]
    columns = ["shipped rule: contradictions", "shipped rule: refinements", *OTHER_RULES.values()]
    lines = [
        "| draws | AU set | detector set | " + " | ".join(f"changes: {c}" for c in columns) + " |",
        "|---" * (3 + len(columns)) + "|",
    ]
    for a, b, found in pairs:
        lines.append(
            f"| {a['name']} vs {b['name']} | {_difference(a['recovered'], b['recovered'])} | "
            f"{_difference(a['detectors'], b['detectors'])} | "
            + " | ".join(f"{len(aus)} {aus}" for aus in found.values())
            + " |"
        )
    worst = {key: max(len(found[key]) for _, _, found in pairs) for key in pairs[0][2]}
    detectors, whole = [len(row["detectors"]) for row in rows], [row["whole_maps"] for row in rows]
    lines += [
        "",
        f"Most changes between two draws: {worst['contradictions']} contradictions and {worst['refinements']} "
        f"refinements under the shipped rule, {worst['point']} under the {OTHER_RULES['point']}, "
        f"{worst['interval']} under the {OTHER_RULES['interval']}. Specific detectors over draws: "
        f"{min(detectors)}-{max(detectors)}; whole-map count: {min(whole)}-{max(whole)}.",
    ]
    return "\n".join(lines)


def main(folders: list[str]) -> None:
    rows = [draw_row(Path(folder).name, read_report(Path(folder))["fau"]) for folder in folders]
    print(
        "Each AU under the shipped rule: a specific detector's grade (as far as its interval settles it), "
        "'to AU k': its unit answers AU k more, '≈ AU k': AU k about as much, '-': not recovered.\n"
    )
    print(table(rows))
    print()
    print(agreement(rows) if len(rows) > 1 else "(one draw: nothing to compare)")


if __name__ == "__main__":
    main(sys.argv[1:])
