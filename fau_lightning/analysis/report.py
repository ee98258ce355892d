"""The analyses a callback or `fau-analyze` runs on a model and a probe set: pure functions, no Trainer."""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fau_lightning.analysis.activations import SpatialMaxima, spatial_maxima
from fau_lightning.analysis.alignment import AUAlignment, align, auroc_matrix, region_boxes, top_k_images
from fau_lightning.analysis.deconvnet import deconvnet, guided_backprop
from fau_lightning.analysis.receptive_field import ReceptiveField, receptive_field
from fau_lightning.data.facs import ACTION_UNITS, REGION_LANDMARKS
from fau_lightning.data.probe import ProbeSet

PROJECTIONS = {"deconvnet": deconvnet, "guided_backprop": guided_backprop}


def _batches(images: np.ndarray, batch_size: int, device: torch.device):
    for start in range(0, len(images), batch_size):
        yield torch.from_numpy(images[start : start + batch_size]).unsqueeze(1).float().div(255).to(device)


def layer_maxima(model: nn.Module, probe: ProbeSet, layer: str, batch_size: int = 128) -> SpatialMaxima:
    """Spatial maxima of `features.<layer>` over the probe images."""
    device = next(model.parameters()).device
    return spatial_maxima(model, f"features.{layer}", _batches(probe.images, batch_size, device), device)


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
    model: nn.Module, probe: ProbeSet, layer: str = "relu3", num_filters: int = 8, top_k: int = 9, method: str = "deconvnet",
    maxima: SpatialMaxima | None = None,
) -> FilterReport:  # fmt: skip
    maxima = maxima if maxima is not None else layer_maxima(model, probe, layer)
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
        projected = project(model.features, layer, image, (f, int(maxima.rows[best, f]), int(maxima.cols[best, f])))[0].cpu().numpy()
        projections[f] = patch(projected, rf, maxima.rows[best, f], maxima.cols[best, f])
    model.train(was_training)
    return FilterReport(layer, filters, patches, projections, method)


@dataclass(frozen=True)
class FAUReport:
    alignments: list[AUAlignment]
    auroc: np.ndarray  # (F, U) over the supported AUs
    au_codes: list[int]  # the supported AUs, columns of auroc


def fau_alignment(
    model: nn.Module, probe: ProbeSet, layer: str = "relu3", top_k: int = 25, min_support: int = 10, shuffles: int = 20,
    margin: float = 0.15, maxima: SpatialMaxima | None = None,
) -> FAUReport:  # fmt: skip
    """DESIGN §5 on the probe set: AUROC per filter and AU, best filter against the permutation
    baseline, top-K lift and spatial agreement with the AU's facial regions from the landmarks."""
    maxima = maxima if maxima is not None else layer_maxima(model, probe, layer)
    rf = receptive_field(model.features, layer)
    centres = np.stack([rf.start + rf.jump * maxima.cols, rf.start + rf.jump * maxima.rows], axis=-1)  # (N, F, 2) x, y
    boxes = {
        au: [region_boxes(probe.landmarks, REGION_LANDMARKS[r], margin) for r in ACTION_UNITS[au].regions]
        for au in probe.au_codes
        if au in ACTION_UNITS
    }
    region_centres = {name: probe.landmarks[:, list(indices)].mean(axis=1) for name, indices in REGION_LANDMARKS.items()}
    alignments = align(maxima.values, probe.au_present, probe.au_codes, centres, boxes, top_k, min_support, shuffles, region_centres=region_centres)
    supported = [a.au for a in alignments]
    columns = [probe.au_codes.index(au) for au in supported]
    auroc = auroc_matrix(maxima.values, probe.au_present[:, columns]) if columns else np.zeros((maxima.values.shape[1], 0))
    return FAUReport(alignments, auroc, supported)
