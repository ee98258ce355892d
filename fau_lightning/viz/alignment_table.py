"""The per-AU verdict table, built once for every place it is shown (Markdown, HTML, W&B)."""

import html
import math

from fau_lightning.analysis.alignment import AUVerdict
from fau_lightning.facs import ACTION_UNITS

COLUMNS = [
    "AU",
    "name",
    "held-out sequences",
    "best unit",
    "AUROC (held-out)",
    "chance",
    "untrained mean",
    "untrained sd",
    "p vs untrained",
    "within-emotion AUROC",
    "within chance",
    "region",
    "peaks in region",
    "region base rate",
    "found in",
    "partner AU",
    "partner share",
    "recovered",
    "failed",
]


def table_rows(verdicts: list[AUVerdict]) -> list[list]:
    """One row per AU, values in COLUMNS order (numbers stay numbers)."""
    return [
        [
            v.au,
            ACTION_UNITS[v.au].name if v.au in ACTION_UNITS else "",
            v.sequences,
            v.unit,
            v.auroc,
            v.chance,
            v.control_mean,
            v.control_sd,
            v.control_p,
            v.within_auroc,
            v.within_chance,
            v.region,
            v.region_share,
            v.region_base_rate,
            v.found_in,
            v.partner,
            v.partner_share,
            v.recovered,
            ", ".join(v.failed),
        ]
        for v in verdicts
    ]


def _text(value) -> str:
    if isinstance(value, bool):
        return "**yes**" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.2g}" if 0 < value < 0.01 else f"{value:.2f}"
    return str(value)


def markdown_table(verdicts: list[AUVerdict]) -> str:
    """The table as Markdown, with the count of recovered AUs under it."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_text(x) for x in row) + " |" for row in table_rows(verdicts)]
    count = sum(v.recovered for v in verdicts)
    return "\n".join(lines) + f"\n\n{count} of {len(verdicts)} AUs recovered.\n"


SHOWN = ["AU", "name", "best unit", "AUROC (held-out)", "within-emotion AUROC", "p vs untrained", "found in"]


def html_table(verdicts: list[AUVerdict]) -> str:
    """The table as HTML narrow enough for a 1400 px page: the main columns and the outcome, coloured,
    with every other column of COLUMNS in a collapsible details cell.
    """
    text_columns = {"name", "best unit", "found in", "outcome", "details"}
    head = "".join(
        f"<th class='{'text' if c in text_columns else ''}'>{html.escape(c)}</th>"
        for c in [*SHOWN, "outcome", "details"]
    )
    body = []
    for row in table_rows(verdicts):
        cells = dict(zip(COLUMNS, row, strict=True))
        shown = "".join(
            f"<td class='{'text' if isinstance(cells[c], str) else ''}'>{html.escape(_text(cells[c]))}</td>"
            for c in SHOWN
        )
        outcome = (
            "<td class='recovered'>recovered</td>"
            if cells["recovered"]
            else f"<td class='failed'>failed: {html.escape(cells['failed'])}</td>"
        )
        rest = "".join(
            f"<tr><td class='text'>{html.escape(c)}</td><td>{html.escape(_text(cells[c]).replace('**', ''))}</td></tr>"
            for c in COLUMNS
            if c not in SHOWN and c not in ("recovered", "failed")
        )
        body.append(
            f"<tr>{shown}{outcome}<td><details><summary>more</summary><table>{rest}</table></details></td></tr>"
        )
    return f"<table class='verdicts'><tr>{head}</tr>{''.join(body)}</table>"
