"""The analyses a callback or `fau-analyze` runs on a model and a probe set: pure functions, no Trainer."""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fau_lightning.analysis.activations import (
    SpatialMaxima,
    spatial_maxima,
    top_k_images,
    unit_name,
)
from fau_lightning.analysis.alignment import (
    AlignmentSettings,
    AUVerdict,
    LayerScores,
    RegionMap,
    align,
    held_out_auroc,
)
from fau_lightning.analysis.auroc import auroc_matrix
from fau_lightning.analysis.controls import control_maxima
from fau_lightning.analysis.deconvnet import deconvnet, guided_backprop
from fau_lightning.analysis.occlusion import region_label_maps, response_regions
from fau_lightning.analysis.receptive_field import ReceptiveField, receptive_field
from fau_lightning.analysis.regions import REGIONS, unresolved_groups
from fau_lightning.analysis.sequences import SequenceDesign
from fau_lightning.datasets.probe import ProbeSet
from fau_lightning.facs import ACTION_UNITS
from fau_lightning.viz.figures import heatmap_image

PROJECTIONS = {"deconvnet": deconvnet, "guided_backprop": guided_backprop}


def _batches(images: np.ndarray, batch_size: int, device: torch.device):
    for start in range(0, len(images), batch_size):
        yield torch.from_numpy(images[start : start + batch_size]).unsqueeze(1).float().div(255).to(device)


def layer_maxima(
    model: nn.Module, images: np.ndarray, layer: str, cells: int = 1, batch_size: int = 128
) -> SpatialMaxima:
    """Maxima of `features.<layer>` over uint8 images (N, S, S), per filter (`cells` = 1) or per cell of each map."""
    device = next(model.parameters()).device
    return spatial_maxima(model, f"features.{layer}", _batches(images, batch_size, device), device, cells)


def most_selective(maxima: SpatialMaxima, count: int, k: int) -> list[int]:
    """Filters whose top-K images stand out most from the rest: mean of the top K over the mean."""
    values = maxima.values
    top = np.take_along_axis(values, top_k_images(values, k).T, axis=0).mean(axis=0)
    ratio = np.where(values.mean(axis=0) > 0, top / np.maximum(values.mean(axis=0), 1e-12), 0)
    return [int(f) for f in np.argsort(-ratio)[:count]]


def patch(image: np.ndarray, rf: ReceptiveField, row: int, col: int) -> np.ndarray:
    """The image patch a unit sees, border-padded where its field leaves the image."""
    x0, y0, x1, y1 = rf.box(row, col)
    pad = max(0, -x0, -y0, x1 - image.shape[1], y1 - image.shape[0])
    padded = np.pad(image, pad, mode="edge") if pad else image
    return padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad]


def filter_patches(images: np.ndarray, rf: ReceptiveField, maxima: SpatialMaxima, f: int, indices) -> list[np.ndarray]:
    """What filter f's strongest unit sees in each of the given images."""
    return [patch(images[i], rf, maxima.rows[i, f], maxima.cols[i, f]) for i in indices]


@dataclass(frozen=True)
class FilterReport:
    layer: str
    filters: list[int]  # the most selective, most selective first
    patches: dict[int, list[np.ndarray]]  # filter -> patches of its top-K images, strongest first
    projections: dict[int, np.ndarray]  # filter -> its top image's unit projected to pixels, cropped to the field
    method: str


def filter_report(
    model: nn.Module,
    probe: ProbeSet,
    layer: str = "relu3",
    num_filters: int = 8,
    top_k: int = 9,
    method: str = "deconvnet",
    maxima: SpatialMaxima | None = None,
) -> FilterReport:
    maxima = (maxima if maxima is not None else layer_maxima(model, probe.images, layer)).per_filter()
    rf = receptive_field(model.features, layer)
    project = PROJECTIONS[method]
    filters = most_selective(maxima, num_filters, top_k)
    top = top_k_images(maxima.values, top_k)
    patches, projections = {}, {}
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    for f in filters:
        patches[f] = filter_patches(probe.images, rf, maxima, f, top[f])
        best = int(top[f][0])
        image = torch.from_numpy(probe.images[best]).float().div(255)[None, None].to(device)
        projected = (
            project(model.features, layer, image, (f, int(maxima.rows[best, f]), int(maxima.cols[best, f])))[0]
            .cpu()
            .numpy()
        )
        projections[f] = patch(projected, rf, maxima.rows[best, f], maxima.cols[best, f])
    model.train(was_training)
    return FilterReport(layer, filters, patches, projections, method)


def probe_maxima(
    model: nn.Module, selection: ProbeSet, evidence: ProbeSet, layer: str, cells: int
) -> tuple[SpatialMaxima, SpatialMaxima]:
    """The layer's maxima per unit (`cells` per side of each map) on the selection and evidence probe sets."""
    return layer_maxima(model, selection.images, layer, cells), layer_maxima(model, evidence.images, layer, cells)


def analysis_probes(
    datamodule, max_selection_images: int | None = None, extra_evidence=None
) -> tuple[ProbeSet, ProbeSet]:
    """(selection, evidence): the training subjects' probe set (whole sequences, sampled down to at most
    `max_selection_images`) and the held-out subjects' (validation and test folds together), joined by
    every subject of `extra_evidence` (a datamodule of other people, whom no fold trained on).
    """
    selection = datamodule.probe_set("train")
    if max_selection_images is not None:
        selection = selection.sample(max_selection_images)
    evidence = [datamodule.probe_set("val"), datamodule.probe_set("test")]
    if extra_evidence is not None:
        evidence += [extra_evidence.probe_set(stage) for stage in ("train", "val", "test")]
    return selection, ProbeSet.concatenate(evidence)


def default_control_cache() -> Path:
    """Where untrained networks' activations are kept: $XDG_CACHE_HOME (or ~/.cache)/fau_lightning/controls."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fau_lightning" / "controls"


@dataclass(frozen=True)
class FAUReport:
    verdicts: list[AUVerdict]
    auroc: np.ndarray  # (U, T) held-out AUROC of every unit for each tested AU
    au_codes: list[int]  # the tested AUs, columns of auroc
    controls: int  # untrained networks compared against
    cells: int  # cells per side of each filter map; auroc's rows are units
    merged_regions: tuple[tuple[str, ...], ...]  # regions tested as one at this layer and input size

    def unit_name(self, unit: int) -> str:
        return unit_name(unit, self.cells)


def best_unit_heatmap(report: FAUReport, layer: str) -> np.ndarray:
    """Held-out AUROC of each AU's best unit (rows) for every tested AU (columns), as an image."""
    best = sorted({v.best_unit for v in report.verdicts})
    title = f"{layer}: held-out AUROC of each AU's best unit (rows) for every AU"
    return heatmap_image(
        report.auroc[best], [report.unit_name(u) for u in best], [f"AU{au}" for au in report.au_codes], title
    )


def best_unit_patches(
    model: nn.Module, report: FAUReport, images: np.ndarray, maxima: SpatialMaxima, layer: str, k: int
) -> list[list[np.ndarray]]:
    """For each verdict, what its best unit sees in its K strongest images (`maxima` of those images)."""
    rf, top = receptive_field(model.features, layer), top_k_images(maxima.values, k)
    return [filter_patches(images, rf, maxima, v.best_unit, top[v.best_unit]) for v in report.verdicts]


@dataclass(frozen=True)
class FAUEvidence:
    """What the verdict needs that depends only on the data and the architecture: made once, reused
    for every judgement of a network during training (`prepare_evidence`).
    """

    selection: ProbeSet  # training subjects: where best units are chosen
    evidence: ProbeSet  # held-out subjects: where they are judged
    selection_design: SequenceDesign
    evidence_design: SequenceDesign
    region_labels: np.ndarray  # (N, S, S) facial region of each evidence pixel
    merged_regions: tuple[tuple[str, ...], ...]  # regions the layer cannot tell apart at this input size
    controls: list[np.ndarray]  # per untrained network: its best units' held-out AUROC for each AU


def prepare_evidence(
    model: nn.Module,
    selection: ProbeSet,
    evidence: ProbeSet,
    layer: str = "relu3",
    settings: AlignmentSettings = AlignmentSettings(),
    control_seeds: list[int] = (),
    control_cache: str | Path | None = None,
) -> FAUEvidence:
    """The probe sets' sequence designs, region maps and the regions `layer` cannot tell apart, and
    the untrained networks (drawn from `control_seeds`, with `model`'s architecture) through the
    same unit choice and measurement.
    """
    selection_design, evidence_design = SequenceDesign.of(selection), SequenceDesign.of(evidence)
    controls = [
        held_out_auroc(sel.values, selection_design, ev.values, evidence_design)
        for sel, ev in control_maxima(
            model,
            layer,
            settings.cells,
            list(control_seeds),
            [selection.images, evidence.images],
            layer_maxima,
            control_cache,
        )
    ]
    labels = region_label_maps(evidence.landmarks, evidence.images.shape[-1], settings.region_reach)
    merged = unresolved_groups(evidence.landmarks, receptive_field(model.features, layer).jump)
    return FAUEvidence(selection, evidence, selection_design, evidence_design, labels, merged, controls)


def fau_alignment(
    model: nn.Module,
    prepared: FAUEvidence,
    layer: str = "relu3",
    settings: AlignmentSettings = AlignmentSettings(),
    maxima: tuple[SpatialMaxima, SpatialMaxima] | None = None,
) -> FAUReport:
    """The per-AU verdict of `layer`: best units chosen on the training subjects, judged on held-out
    subjects against sequence-level chance, within emotion, against the untrained networks, and by
    where their response comes from (occluding each facial region). `maxima`, when given, must be
    `probe_maxima(..., settings.cells)` of the prepared probe sets.
    """
    selection, evidence = prepared.selection, prepared.evidence
    selection_maxima, evidence_maxima = maxima or probe_maxima(model, selection, evidence, layer, settings.cells)
    if evidence_maxima.cells != settings.cells:
        raise ValueError(
            f"maxima cut into {evidence_maxima.cells} cells per side, the settings ask for {settings.cells}"
        )
    found = response_regions(
        evidence.images,
        prepared.region_labels,
        evidence_maxima.values,
        lambda images: layer_maxima(model, images, layer, settings.cells).values,
    )
    au_regions = {au: ACTION_UNITS[au].regions for au in evidence.au_codes if au in ACTION_UNITS}
    regions = RegionMap(REGIONS, au_regions, prepared.merged_regions)
    verdicts = align(
        evidence.au_codes,
        LayerScores(selection_maxima.values),
        prepared.selection_design,
        LayerScores(evidence_maxima.values, found, settings.cells),
        prepared.evidence_design,
        regions,
        prepared.controls,
        settings,
    )
    tested = [evidence.au_codes.index(v.au) for v in verdicts]
    auroc = (
        auroc_matrix(evidence_maxima.values, prepared.evidence_design.labels[:, tested])
        if tested
        else np.zeros((evidence_maxima.values.shape[1], 0))
    )
    return FAUReport(
        verdicts, auroc, [v.au for v in verdicts], len(prepared.controls), settings.cells, prepared.merged_regions
    )
