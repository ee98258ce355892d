"""What a layer's filters respond to: their maxima over images, the most selective ones, their top
patches and their strongest activation projected back to pixels.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fau_lightning.analysis.activations import SpatialMaxima, spatial_maxima, top_k_images
from fau_lightning.analysis.deconvnet import deconvnet, guided_backprop, projectable
from fau_lightning.analysis.layers import module_path
from fau_lightning.analysis.receptive_field import ReceptiveField, measured_receptive_field
from fau_lightning.pixels import to_unit_float
from fau_lightning.progress import StepProgress

PROJECTIONS = {"deconvnet": deconvnet, "guided_backprop": guided_backprop}


def _batches(images: np.ndarray, batch_size: int, device: torch.device, progress: StepProgress | None = None):
    """`images` as float batches on `device`; `progress(done, total)` as each batch has been used."""
    total = -(-len(images) // batch_size)
    for done, start in enumerate(range(0, len(images), batch_size), 1):
        yield to_unit_float(images[start : start + batch_size]).unsqueeze(1).to(device)
        if progress is not None:  # the consumer asked for the next batch: this one is done
            progress(done, total)


def layer_maxima(
    model: nn.Module,
    images: np.ndarray,
    layer: str,
    cells: int = 1,
    batch_size: int = 128,
    progress: StepProgress | None = None,
) -> SpatialMaxima:
    """Maxima of `layer` (`layers.module_path`) over uint8 images (N, S, S), per filter (`cells` = 1) or per
    cell of each map; `progress(done, total)` after each batch of `batch_size` images.

    Runs channels-last (about 1.6x faster on CPU than the default layout; values agree to about 1e-5).
    """
    device = next(model.parameters()).device
    batches = _batches(images, batch_size, device, progress)
    return spatial_maxima(model, module_path(model, layer), batches, device, cells, channels_last=True)


def layer_values(model: nn.Module, images: np.ndarray, layer: str, cells: int) -> np.ndarray:
    """(N, U) just the units' maxima of `layer_maxima`."""
    return layer_maxima(model, images, layer, cells).values


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


def unit_patches(images: np.ndarray, rf: ReceptiveField, maxima: SpatialMaxima, unit: int, indices) -> list[np.ndarray]:
    """What a unit (a filter, or a cell of its map) sees at its maximum in each of the given images."""
    return [patch(images[i], rf, maxima.rows[i, unit], maxima.cols[i, unit]) for i in indices]


@dataclass(frozen=True)
class FilterReport:
    layer: str
    filters: list[int]  # the most selective, most selective first
    patches: dict[int, list[np.ndarray]]  # filter -> patches of its top-K images, strongest first
    projections: dict[int, np.ndarray]  # filter -> its top image's unit projected to pixels, cropped to the field
    method: str  # how they were projected; where they could not be: "none (<why>)"


def filter_report(
    model: nn.Module,
    images: np.ndarray,
    layer: str = "relu3",
    num_filters: int = 8,
    top_k: int = 9,
    method: str = "deconvnet",
    maxima: SpatialMaxima | None = None,
) -> FilterReport:
    """The `num_filters` most selective filters of `layer` on uint8 `images` (N, S, S): their top-K
    patches and, where the network allows it (`deconvnet.projectable`), the projection of each one's
    strongest activation (`method`).
    """
    maxima = (maxima if maxima is not None else layer_maxima(model, images, layer)).per_filter()
    rf = measured_receptive_field(model, layer, images.shape[-1])
    why_not, name = projectable(model, layer), layer.removeprefix("features.")
    project = PROJECTIONS[method]
    filters = most_selective(maxima, num_filters, top_k)
    top = top_k_images(maxima.values, top_k)
    patches, projections = {}, {}
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    for f in filters:
        patches[f] = unit_patches(images, rf, maxima, f, top[f])
        if why_not:
            continue
        best = int(top[f][0])
        image = to_unit_float(images[best])[None, None].to(device)
        projected = (
            project(model.features, name, image, (f, int(maxima.rows[best, f]), int(maxima.cols[best, f])))[0]
            .cpu()
            .numpy()
        )
        projections[f] = patch(projected, rf, maxima.rows[best, f], maxima.cols[best, f])
    model.train(was_training)
    return FilterReport(layer, filters, patches, projections, f"none ({why_not})" if why_not else method)
