"""The per-AU verdict table, built once for every place it is shown (Markdown, HTML, W&B)."""

import html
import math

from fau_lightning.analysis.pipeline import FAUReport, verdict_line
from fau_lightning.analysis.statistics import AUVerdict
from fau_lightning.facs import ACTION_UNITS

COLUMNS = [
    "AU",
    "name",
    "held-out sequences",
    "best unit",
    "AUROC (held-out)",
    "AUROC 95% interval",
    "chance",
    "untrained mean",
    "untrained sd",
    "p vs untrained",
    "within-emotion AUROC",
    "within 95% interval",
    "within chance",
    "region",
    "peaks in region",
    "region base rate",
    "found in",
    "partner AU",
    "partner share",
    "AUROC without emotion",
    "strongest other AU",
    "its AUROC",
    "margin 95% interval",
    "specific",
    "recovered",
    "failed",
    "grade",
    "outcome",
    "whole map",
]


def _interval(bounds: tuple[float, float]) -> str:
    return "–" if any(math.isnan(b) for b in bounds) else f"{bounds[0]:.2f} to {bounds[1]:.2f}"


def _whole_map_outcome(verdict: AUVerdict | None) -> str:
    if verdict is None:
        return "not tested"
    return f"recovered ({verdict.unit})" if verdict.recovered else f"failed: {', '.join(verdict.failed)}"


def table_rows(report: FAUReport) -> list[list]:
    """One row per AU, values in COLUMNS order (numbers stay numbers)."""
    whole_map = {v.au: v for v in report.whole_map}
    return [
        [
            v.au,
            ACTION_UNITS[v.au].name if v.au in ACTION_UNITS else "",
            v.sequences,
            v.unit,
            v.auroc,
            _interval(v.auroc_interval),
            v.chance,
            v.control_mean,
            v.control_sd,
            v.control_p,
            v.within_auroc,
            _interval(v.within_interval),
            v.within_chance,
            v.region,
            v.region_share,
            v.region_base_rate,
            v.found_in,
            v.partner,
            v.partner_share,
            v.specific_auroc,
            v.rival,
            v.rival_auroc,
            _interval(v.specific_margin),
            v.specific,
            v.recovered,
            ", ".join(v.failed),
            v.grade,
            v.outcome,
            _whole_map_outcome(whole_map.get(v.au)),
        ]
        for v in report.verdicts
    ]


def _text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.2g}" if 0 < value < 0.01 else f"{value:.2f}"
    return str(value)


def markdown_table(report: FAUReport) -> str:
    """The table as Markdown, with the verdict's line under it."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_text(x) for x in row) + " |" for row in table_rows(report)]
    return "\n".join(lines) + f"\n\n{verdict_line(report)}.\n"


SHOWN = [
    "AU",
    "name",
    "best unit",
    "AUROC (held-out)",
    "within-emotion AUROC",
    "within 95% interval",
    "p vs untrained",
    "found in",
    "specific",
    "whole map",
]


def outcome_class(verdict: AUVerdict) -> str:
    """The report's colour class of an AU's outcome: detector, unsettled (another AU about as much),
    responds (to another AU more) or failed.
    """
    if not verdict.recovered:
        return "failed"
    if verdict.responds_to_other:
        return "responds"
    return "unsettled" if verdict.specificity_unsettled else "detector"


def html_table(report: FAUReport) -> str:
    """The table as HTML narrow enough for a 1400 px page: the main columns and the outcome, coloured,
    with every other column of COLUMNS in a collapsible details cell.
    """
    text_columns = {"name", "best unit", "found in", "whole map", "outcome", "details"}
    head = "".join(
        f"<th class='{'text' if c in text_columns else ''}'>{html.escape(c)}</th>"
        for c in [*SHOWN, "outcome", "details"]
    )
    body = []
    for verdict, row in zip(report.verdicts, table_rows(report), strict=True):
        cells = dict(zip(COLUMNS, row, strict=True))
        shown = "".join(
            f"<td class='{'text' if isinstance(cells[c], str) else ''}'>{html.escape(_text(cells[c]))}</td>"
            for c in SHOWN
        )
        outcome = f"<td class='{outcome_class(verdict)}'>{html.escape(verdict.outcome)}</td>"
        rest = "".join(
            f"<tr><td class='text'>{html.escape(c)}</td><td>{html.escape(_text(cells[c]))}</td></tr>"
            for c in COLUMNS
            if c not in SHOWN and c not in ("recovered", "failed", "grade", "outcome")
        )
        body.append(
            f"<tr>{shown}{outcome}<td><details><summary>more</summary><table>{rest}</table></details></td></tr>"
        )
    return f"<table class='verdicts'><tr>{head}</tr>{''.join(body)}</table>"
