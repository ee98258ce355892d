"""The FAU verdict of a network as a staged pipeline, on probe sets and arrays (no data module, no Trainer).

1. `prepare_evidence`: what depends only on the data and the architecture: the probe sets' sequence
   designs, the facial-region maps, the regions the layer cannot tell apart, and the untrained
   networks' unit values (the control distribution, cached on disk);
2. `measure_units`: the network's unit values on both probe sets, and by occlusion where each
   held-out response comes from;
3. `judge`: the per-AU verdict (`alignment.align`) and the AUROC of every unit for every tested AU.
Rendering (figures, tables, pages) lives in `fau_lightning.viz`.
"""

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from torch import nn

from fau_lightning.analysis.activations import SpatialMaxima, unit_name
from fau_lightning.analysis.auroc import auroc_matrix
from fau_lightning.analysis.controls import control_aurocs
from fau_lightning.analysis.effect_sizes import GRADE_LABELS
from fau_lightning.analysis.filters import layer_maxima, layer_values
from fau_lightning.analysis.layers import settings_for
from fau_lightning.analysis.occlusion import region_label_maps, response_regions
from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.analysis.receptive_field import measured_receptive_field
from fau_lightning.analysis.regions import REGIONS, UNKNOWN, RegionMap, unresolved_groups
from fau_lightning.analysis.sequences import SequenceDesign
from fau_lightning.analysis.settings import AlignmentSettings, AnalysisSettings
from fau_lightning.analysis.statistics import (
    AUVerdict,
    LayerScores,
    align,
    peak_frames,
    summary_numbers,
    whole_maps,
)
from fau_lightning.facs import ACTION_UNITS
from fau_lightning.progress import Progress, StepProgress


@dataclass(frozen=True)
class FAUEvidence:
    """Stage 1's result: made once, reused for every network judged on the same data."""

    selection: ProbeSet  # training subjects: where best units are chosen
    evidence: ProbeSet  # held-out subjects: where they are judged
    selection_design: SequenceDesign
    evidence_design: SequenceDesign
    region_labels: np.ndarray  # (N, S, S) facial region of each evidence pixel
    merged_regions: tuple[tuple[str, ...], ...]  # regions the layer cannot tell apart at this input size
    controls: list[np.ndarray]  # per untrained network: its best units' held-out AUROC for each AU
    whole_map_controls: list[np.ndarray]  # the same with whole filter maps as units
    control_precision: str  # the arithmetic of their forward passes: bf16 or 32


@dataclass(frozen=True)
class UnitMeasurements:
    """Stage 2's result: one network's units on the prepared probe sets."""

    selection: SpatialMaxima
    evidence: SpatialMaxima
    evidence_regions: np.ndarray  # (N, U) where each held-out response comes from (occlusion.response_regions)


@dataclass(frozen=True)
class FAUReport:
    """Stage 3's result: the verdicts with what a reader needs beside them."""

    verdicts: list[AUVerdict]
    whole_map: list[AUVerdict]  # the same test with each filter's whole map as one unit (the paper's "filter")
    auroc: np.ndarray  # (U, T) held-out AUROC of every unit for each tested AU
    au_codes: list[int]  # the tested AUs, columns of auroc
    controls: int  # untrained networks compared against
    control_precision: str  # the arithmetic of their forward passes: bf16 or 32
    cells: int  # cells per side of each filter map; auroc's rows are units
    merged_regions: tuple[tuple[str, ...], ...]  # regions tested as one at this layer and input size
    evidence_people: int  # people the verdict is judged on (none of them trained on)
    evidence_sequences: int
    evidence_images: int
    selection_images: int  # training subjects' images the best units were chosen on

    def unit_name(self, unit: int) -> str:
        return unit_name(unit, self.cells)

    @property
    def recovered(self) -> list[int]:
        return [v.au for v in self.verdicts if v.recovered]


def _steps_of(progress: Progress | None, stage: str) -> StepProgress | None:
    """`progress` for one stage: called with (done, total) only."""
    return (lambda done, total: progress(stage, done, total)) if progress is not None else None


def prepare_evidence(
    model: nn.Module,
    selection: ProbeSet,
    evidence: ProbeSet,
    settings: AnalysisSettings = AnalysisSettings(),
    control_cache: str | Path | None = None,
    progress: Progress | None = None,
) -> FAUEvidence:
    """Stage 1: sequence designs, region maps and merged regions of the probe sets, and the untrained
    networks (seeds 0..settings.control_seeds-1, with `model`'s architecture) through the same unit
    choice as the network judged (`controls.control_aurocs`).
    """
    settings = settings_for(model, settings, selection.images.shape[-1])
    selection_design, evidence_design = SequenceDesign.of(selection), SequenceDesign.of(evidence)
    untrained = control_aurocs(
        model,
        settings.layer,
        settings.cells,
        list(range(settings.control_seeds)),
        (selection.images, selection_design),
        (evidence.images, evidence_design),
        settings.control_precision,
        control_cache,
        _steps_of(progress, "untrained networks"),
    )
    labels = region_label_maps(evidence.landmarks, evidence.images.shape[-1], settings.region_reach)
    jump = measured_receptive_field(model, settings.layer, evidence.images.shape[-1]).jump
    merged = unresolved_groups(evidence.landmarks, jump)
    return FAUEvidence(
        selection=selection,
        evidence=evidence,
        selection_design=selection_design,
        evidence_design=evidence_design,
        region_labels=labels,
        merged_regions=merged,
        controls=[c.units for c in untrained],
        whole_map_controls=[c.whole_maps for c in untrained],
        control_precision=settings.control_precision,
    )


def measure_units(
    model: nn.Module,
    prepared: FAUEvidence,
    layer: str = "relu3",
    cells: int = 2,
    top_sequences: int = 25,
    progress: Progress | None = None,
) -> UnitMeasurements:
    """Stage 2: the layer's unit maxima (`cells` per side of each map) on both probe sets, and for the
    held-out images the region test reads (`alignment.peak_frames`), for each unit the facial region
    whose flattening lowers it most (UNKNOWN for the other images, which nothing reads).
    """
    selection, evidence = (
        layer_maxima(
            model, probe.images, layer, cells, progress=_steps_of(progress, f"the network's units on the {who}")
        )
        for probe, who in ((prepared.selection, "training subjects"), (prepared.evidence, "held-out people"))
    )
    read = peak_frames(evidence.values, prepared.evidence_design, cells, top_sequences)
    regions = response_regions(
        prepared.evidence.images[read],
        prepared.region_labels[read],
        evidence.values[read],
        lambda images: layer_values(model, images, layer, cells),
        _steps_of(progress, f"occlusion of {len(read)} images"),
    )
    found = np.full(evidence.values.shape, UNKNOWN, regions.dtype)
    found[read] = regions
    return UnitMeasurements(selection, evidence, found)


def judge(
    prepared: FAUEvidence,
    measured: UnitMeasurements,
    settings: AlignmentSettings = AlignmentSettings(),
    progress: Progress | None = None,
) -> FAUReport:
    """Stage 3: best units chosen on the training subjects, judged on held-out subjects against
    sequence-level chance, within emotion, against the untrained networks, and by where their
    response comes from; `progress` told each step, for the quadrant units and then the whole maps.
    """
    if measured.evidence.cells != settings.cells:
        raise ValueError(
            f"units cut into {measured.evidence.cells} cells per side, the settings ask for {settings.cells}"
        )
    evidence = prepared.evidence
    au_regions = {au: ACTION_UNITS[au].regions for au in evidence.au_codes if au in ACTION_UNITS}
    region_map = RegionMap(REGIONS, au_regions, prepared.merged_regions)
    selection = LayerScores(measured.selection.values, cells=settings.cells)
    held_out = LayerScores(measured.evidence.values, measured.evidence_regions, settings.cells)
    design = (prepared.selection_design, prepared.evidence_design)

    def verdicts_of(
        units: str, selection: LayerScores, held_out: LayerScores, controls: list[np.ndarray]
    ) -> list[AUVerdict]:
        steps = _steps_of(progress, f"judging each AU ({units})")
        return align(
            evidence.au_codes, selection, design[0], held_out, design[1], region_map, controls, settings, steps
        )

    verdicts = verdicts_of("units", selection, held_out, prepared.controls)
    whole_map = verdicts_of("whole maps", whole_maps(selection), whole_maps(held_out), prepared.whole_map_controls)
    tested = [evidence.au_codes.index(v.au) for v in verdicts]
    auroc = (
        auroc_matrix(measured.evidence.values, prepared.evidence_design.labels[:, tested])
        if tested
        else np.zeros((measured.evidence.values.shape[1], 0))
    )
    return FAUReport(
        verdicts=verdicts,
        whole_map=whole_map,
        auroc=auroc,
        au_codes=[v.au for v in verdicts],
        controls=len(prepared.controls),
        control_precision=prepared.control_precision,
        cells=settings.cells,
        merged_regions=prepared.merged_regions,
        evidence_people=evidence.people,
        evidence_sequences=evidence.sequences,
        evidence_images=len(evidence),
        selection_images=len(prepared.selection),
    )


def fau_verdict(
    model: nn.Module,
    prepared: FAUEvidence,
    settings: AnalysisSettings = AnalysisSettings(),
    progress: Progress | None = None,
) -> tuple[FAUReport, UnitMeasurements]:
    """Stages 2 and 3 for one network on prepared evidence."""
    settings = settings_for(model, settings, prepared.selection.images.shape[-1])
    measured = measure_units(model, prepared, settings.layer, settings.cells, settings.top_sequences, progress)
    return judge(prepared, measured, settings, progress), measured


def verdict_scalars(report: FAUReport) -> dict[str, float]:
    """The dashboard's numbers: counts per test and grade, mean AUROCs, and the whole-map count."""
    whole_map = float(sum(v.recovered for v in report.whole_map))
    return summary_numbers(report.verdicts) | {"fau/whole_map_recovered_aus": whole_map}


def _alignments(verdicts: list[AUVerdict]) -> list[dict]:
    return [
        {**asdict(v), "recovered": v.recovered, "specific": v.specific, "detector": v.detector, "outcome": v.outcome}
        for v in verdicts
    ]


def verdict_numbers(report: FAUReport, settings: AlignmentSettings) -> dict:
    """The verdict as plain values: what report.json and W&B hold, computed once for both."""
    return {
        "alignments": _alignments(report.verdicts),
        **verdict_scalars(report),
        "recovered": report.recovered,
        "specific_detectors": [v.au for v in report.verdicts if v.detector],
        "responds_to_other": {str(v.au): v.rival for v in report.verdicts if v.responds_to_other},
        "grades": {grade: [v.au for v in report.verdicts if v.grade == grade] for grade in GRADE_LABELS},
        "whole_map": {
            "alignments": _alignments(report.whole_map),
            "recovered": [v.au for v in report.whole_map if v.recovered],
        },
        "controls": report.controls,
        "control_precision": report.control_precision,
        "merged_regions": [list(group) for group in report.merged_regions],
        "evidence": {
            "power_note": power_note(report),
            "people": report.evidence_people,
            "sequences": report.evidence_sequences,
            "images": report.evidence_images,
            "selection_images": report.selection_images,
        },
        "settings": asdict(settings),
    }


FEW_PEOPLE = 100  # below this many held-out people the AU detector itself recovers 8-11 of 17 (docs/fau_alignment.md)


def power_note(report: FAUReport) -> str:
    """What the evidence's size means for reading the count ("" when it is large enough)."""
    if report.evidence_people >= FEW_PEOPLE:
        return ""
    return (
        f"only {report.evidence_people} held-out people: the test has little power here (on the built-in set "
        "a network trained on the AUs recovers 8 to 11 of 17 with 24 people, 15 or 16 with 264), so read the "
        "count as a lower bound: an AU not recovered may be learned and unproven"
    )


def region_note(report: FAUReport) -> str:
    """What it means when the layer cannot tell any two facial regions apart ("" when it can)."""
    if not any(len(group) == len(REGIONS) for group in report.merged_regions):
        return ""
    return (
        "this layer's units lie too far apart to tell any two facial regions apart at this input size, so the "
        "region test cannot pass and nothing can be recovered: judge an earlier layer (--analysis.layer) or a "
        "larger input"
    )


def grade_counts(verdicts: list[AUVerdict]) -> str:
    """The graded AUs among `verdicts` by grade, e.g. "6 strong (AUs 2, 4, ...), 2 clear (...)"; grades no AU
    has are left out.
    """
    parts = []
    for grade in GRADE_LABELS:
        aus = [str(v.au) for v in verdicts if v.grade == grade]
        if aus:
            parts.append(f"{len(aus)} {grade} (AU{'s' if len(aus) > 1 else ''} {', '.join(aus)})")
    return ", ".join(parts)


SEED_TABLE = "docs/results/fau_seeds.md"


def headline(report: FAUReport) -> str:
    """The verdict as every place leads with it: the AUs with a specific detector and their grades, then
    the recovered AUs whose unit answers another AU more, those whose unit answers another about as much,
    and any whose specificity cannot be measured.
    """
    verdicts = report.verdicts
    detectors = [v for v in verdicts if v.detector]
    others = [v for v in verdicts if v.responds_to_other]
    unsettled = [v for v in verdicts if v.specificity_unsettled]
    unknown = [v for v in verdicts if v.recovered and not v.specificity_known]
    text = f"{len(detectors)} of {len(verdicts)} AUs have a specific detector"
    text += f" ({grade_counts(detectors)})" if detectors else ""
    if others:
        rivals = ", ".join(f"AU {v.au} to AU {v.rival}" for v in others)
        text += f"; {len(others)} more respond, but to another AU more ({rivals})"
    if unsettled:
        rivals = ", ".join(f"AU {v.au} and AU {v.rival}" for v in unsettled)
        text += f"; {len(unsettled)} more recovered, not shown specific ({rivals} answered about as much)"
    if unknown:
        text += f"; {len(unknown)} more recovered where specificity cannot be measured ({grade_counts(unknown)})"
    return text


def verdict_sentence(report: FAUReport) -> str:
    """The headline with what it rests on, as the terminal, the report and fau_alignment.md say it."""
    whole = sum(v.recovered for v in report.whole_map)
    return (
        f"{headline(report)}; {len(report.recovered)} recovered in all, {whole} with whole filter maps as units "
        f"(judged on {report.evidence_people} held-out people, {report.evidence_sequences} sequences, "
        f"against {report.controls} untrained networks); one network's result: how often each AU recurs over "
        f"trainings is in {SEED_TABLE}"
    )


def verdict_line(report: FAUReport) -> str:
    """The verdict in one line, as the terminal says it, with the region and power notes."""
    notes = [note for note in (region_note(report), power_note(report)) if note]
    return "; ".join([f"FAU verdict: {verdict_sentence(report)}", *notes])
