"""Everything the report says about one network, computed once: filter pictures and the FAU verdict.

`fau-analyze` and the training run's `FAUAlignmentLogger` both call `analyse_network`, so the
verdict a user reads in the terminal, the report and W&B is one computation on one set of weights.
"""

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from fau_lightning.analysis.alignment import AlignmentSettings
from fau_lightning.analysis.filters import FilterReport, filter_report, layer_maxima
from fau_lightning.analysis.verdict import (
    FAUEvidence,
    FAUReport,
    Progress,
    UnitMeasurements,
    fau_verdict,
    prepare_evidence,
)
from fau_lightning.datasets.probe import ProbeSet


@dataclass(frozen=True)
class AnalysisSettings:
    """What `fau-analyze` and the training run's verdict both use; the defaults are the headline's.

    Args:
        layer: the layer whose units are judged and whose filters are shown.
        alignment: the verdict's settings (`AlignmentSettings`).
        control_seeds: untrained networks (seeds 0..n-1) in the control distribution; 30, because with
            10 the prediction bound let an untrained network through on AU 23 (docs/fau_alignment.md).
        num_filters: most selective filters shown.
        top_k: patches shown per filter and per AU's best unit.
        method: how a unit is projected to pixels (deconvnet or guided_backprop).
    """

    layer: str = "relu3"
    alignment: AlignmentSettings = AlignmentSettings()
    control_seeds: int = 30
    num_filters: int = 8
    top_k: int = 9
    method: str = "deconvnet"


@dataclass(frozen=True)
class NetworkAnalysis:
    settings: AnalysisSettings
    filters: FilterReport
    prepared: FAUEvidence | None  # None: the data has no AU labels
    fau: FAUReport | None
    measured: UnitMeasurements | None


def analyse_network(
    model: nn.Module,
    selection: ProbeSet,
    evidence: ProbeSet,
    settings: AnalysisSettings = AnalysisSettings(),
    control_cache: str | Path | None = None,
    prepared: FAUEvidence | None = None,
    progress: Progress | None = None,
) -> NetworkAnalysis:
    """Filter pictures (on the training subjects) and, where the data has AUs, the FAU verdict.

    `prepared`: stage 1 made earlier for these probe sets and this architecture, to reuse.
    """
    if not selection.has_aus:
        return NetworkAnalysis(settings, filter_report_of(model, selection, settings), None, None, None)
    if prepared is None:
        seeds = list(range(settings.control_seeds))
        prepared = prepare_evidence(
            model, selection, evidence, settings.layer, settings.alignment, seeds, control_cache, progress
        )
    fau, measured = fau_verdict(model, prepared, settings.layer, settings.alignment, progress)
    filters = filter_report_of(model, selection, settings, measured.selection)
    return NetworkAnalysis(settings, filters, prepared, fau, measured)


def filter_report_of(model: nn.Module, selection: ProbeSet, settings: AnalysisSettings, maxima=None) -> FilterReport:
    """The most selective filters on the training subjects (their unit maxima reused where given)."""
    maxima = maxima if maxima is not None else layer_maxima(model, selection.images, settings.layer, 1)
    return filter_report(
        model, selection.images, settings.layer, settings.num_filters, settings.top_k, settings.method, maxima
    )
