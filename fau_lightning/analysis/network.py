"""Everything the report says about one network, computed once: filter pictures and the FAU verdict.

`fau-analyze` and the training run's `FAUAlignmentLogger` both call `analyse_network`, so the
verdict a user reads in the terminal, the report and W&B is one computation on one set of weights.
"""

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from fau_lightning.analysis.filters import FilterReport, filter_report, layer_maxima
from fau_lightning.analysis.layers import settings_for
from fau_lightning.analysis.pipeline import FAUEvidence, FAUReport, UnitMeasurements, fau_verdict, prepare_evidence
from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.progress import Progress


@dataclass(frozen=True)
class NetworkAnalysis:
    settings: AnalysisSettings
    filters: FilterReport
    prepared: FAUEvidence | None  # None: the data has no AU labels
    fau: FAUReport | None
    measured: UnitMeasurements | None
    skipped: str = ""  # why there is no verdict ("" where there is one)


def analyse_network(
    model: nn.Module,
    selection: ProbeSet,
    evidence: ProbeSet,
    settings: AnalysisSettings = AnalysisSettings(),
    control_cache: str | Path | None = None,
    prepared: FAUEvidence | None = None,
    progress: Progress | None = None,
    verdict: bool = True,
) -> NetworkAnalysis:
    """Filter pictures (on the training subjects) and, where the data has AUs and `verdict` asks for
    it, the FAU verdict.

    `prepared`: stage 1 made earlier for these probe sets and this architecture, to reuse. The settings
    kept with the analysis name the layer judged (`settings_for`).
    """
    settings = settings_for(model, settings, selection.images.shape[-1])
    skipped = "" if selection.has_aus else "the data has no FACS AU labels"
    skipped = skipped or ("" if verdict else "not asked for")
    if skipped:
        filters = filter_report_of(model, selection, settings)
        return NetworkAnalysis(
            settings=settings, filters=filters, prepared=None, fau=None, measured=None, skipped=skipped
        )
    if prepared is None:
        prepared = prepare_evidence(model, selection, evidence, settings, control_cache, progress)
    fau, measured = fau_verdict(model, prepared, settings, progress)
    filters = filter_report_of(model, selection, settings, measured.selection)
    return NetworkAnalysis(settings=settings, filters=filters, prepared=prepared, fau=fau, measured=measured)


def filter_report_of(model: nn.Module, selection: ProbeSet, settings: AnalysisSettings, maxima=None) -> FilterReport:
    """The most selective filters on the training subjects (their unit maxima reused where given)."""
    maxima = maxima if maxima is not None else layer_maxima(model, selection.images, settings.layer, 1)
    return filter_report(
        model, selection.images, settings.layer, settings.num_filters, settings.patches, settings.method, maxima
    )
