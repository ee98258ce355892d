"""The FAU verdict of one checkpoint on several independent draws of evidence people, as a Markdown
table: per draw the AUs recovered, their grades, the whole-map count and the specific count, then how
much the draws agree. Grades are shown under the shipped rule (the within-emotion AUROC's point
estimate against the thresholds) and under the interval rule (its 95 % interval's lower bound against
the same thresholds), so the agreement of both can be compared on the same evidence.

    python scripts/fau_evidence_draws_summary.py runs/fau_evidence_draws/draw_0 runs/fau_evidence_draws/draw_1 ...
"""

import itertools
import json
import sys
from pathlib import Path

RULES = ("point", "interval")


def grade(value: float, strong: float, clear: float) -> str:
    return "strong" if value >= strong else "clear" if value >= clear else "weak"


def grades(fau: dict, rule: str) -> dict[int, str]:
    """AU -> grade of every recovered AU under `rule` ("-" for an AU not recovered)."""
    strong, clear = fau["settings"]["strong_auroc"], fau["settings"]["clear_auroc"]
    graded = {}
    for a in fau["alignments"]:
        value = a["within_auroc"] if rule == "point" else a["within_interval"][0]
        graded[a["au"]] = grade(value, strong, clear) if a["recovered"] else "-"
    return graded


def draw_row(name: str, fau: dict) -> dict:
    further = fau["evidence"].get("further_people") or {}
    people = f"{further['first_subject']}-{further['first_subject'] + further['people'] - 1}" if further else "?"
    return {
        "name": name,
        "people": people,
        "recovered": sorted(a["au"] for a in fau["alignments"] if a["recovered"]),
        "specific": sorted(a["au"] for a in fau["alignments"] if a["recovered"] and a["specific"]),
        "whole_maps": len(fau["whole_map"]["recovered"]),
        **{rule: grades(fau, rule) for rule in RULES},
    }


def changes(a: dict[int, str], b: dict[int, str]) -> list[int]:
    return sorted(au for au in a if a[au] != b.get(au))


def table(rows: list[dict]) -> str:
    aus = sorted(rows[0]["point"])
    lines = [
        "| draw | further people | recovered | specific | whole maps | " + " | ".join(f"AU {au}" for au in aus) + " |"
    ]
    lines.append("|---" * (5 + len(aus)) + "|")
    for row in rows:
        cells = [f"{row['point'][au]} / {row['interval'][au]}" if row["point"][au] != "-" else "-" for au in aus]
        lines.append(
            f"| {row['name']} | {row['people']} | {len(row['recovered'])} | {len(row['specific'])} | "
            f"{row['whole_maps']} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def agreement(rows: list[dict]) -> str:
    lines = ["| draws | AU set | specific set | grade changes (point rule) | grade changes (interval rule) |"]
    lines.append("|---|---|---|---|---|")
    for a, b in itertools.combinations(rows, 2):
        same_set = (
            "same"
            if a["recovered"] == b["recovered"]
            else f"differs ({sorted(set(a['recovered']) ^ set(b['recovered']))})"
        )
        same_specific = (
            "same" if a["specific"] == b["specific"] else f"differs ({sorted(set(a['specific']) ^ set(b['specific']))})"
        )
        point, interval = changes(a["point"], b["point"]), changes(a["interval"], b["interval"])
        lines.append(
            f"| {a['name']} vs {b['name']} | {same_set} | {same_specific} | {len(point)} {point} | "
            f"{len(interval)} {interval} |"
        )
    worst = {rule: max(len(changes(a[rule], b[rule])) for a, b in itertools.combinations(rows, 2)) for rule in RULES}
    whole = [row["whole_maps"] for row in rows]
    lines += [
        "",
        f"Most grade changes between two draws: {worst['point']} under the point rule, {worst['interval']} under"
        f" the interval rule. Whole-map count over draws: {min(whole)}-{max(whole)}.",
    ]
    return "\n".join(lines)


def main(folders: list[str]) -> None:
    rows = []
    for folder in folders:
        fau = json.loads((Path(folder) / "report.json").read_text())["fau"]
        rows.append(draw_row(Path(folder).name, fau))
    print("Grades as point rule / interval rule; '-': not recovered.\n")
    print(table(rows))
    print()
    print(agreement(rows) if len(rows) > 1 else "(one draw: nothing to compare)")


if __name__ == "__main__":
    main(sys.argv[1:])
