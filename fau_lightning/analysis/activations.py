"""A layer's activations over a dataset, reduced on the fly so memory stays bounded."""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class SpatialMaxima:
    """Per image and filter: the spatial maximum of the layer's map and where it is."""

    values: np.ndarray  # float32 (N, F)
    rows: np.ndarray  # int64 (N, F)
    cols: np.ndarray  # int64 (N, F)
    map_size: tuple[int, int]  # (H, W) of the layer's maps


def _images(batch) -> torch.Tensor:
    return batch[0] if isinstance(batch, (tuple, list)) else batch


@torch.no_grad()
def spatial_maxima(model: nn.Module, layer: str, batches: Iterable, device: str | torch.device = "cpu") -> SpatialMaxima:
    """Run `batches` (tensors, or (images, ...) tuples from a DataLoader) through `model` and keep,
    for `layer` (a dotted module name such as "features.relu3"), each map's maximum and its position.
    Only one batch of maps is alive at a time."""
    module = model.get_submodule(layer)
    captured: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _m, _i, out: captured.append(out))
    values, rows, cols = [], [], []
    size = (0, 0)
    was_training = model.training
    model.eval()
    try:
        for batch in batches:
            model(_images(batch).to(device))
            maps = captured.pop()
            n, f, h, w = maps.shape
            size = (h, w)
            best, where = maps.reshape(n, f, h * w).max(dim=2)
            values.append(best.float().cpu())
            rows.append((where // w).cpu())
            cols.append((where % w).cpu())
    finally:
        handle.remove()
        model.train(was_training)
    return SpatialMaxima(torch.cat(values).numpy(), torch.cat(rows).numpy(), torch.cat(cols).numpy(), size)


def top_k_images(scores: np.ndarray, k: int) -> np.ndarray:
    """(F, k) indices of the images that excite each filter most (scores (N, F)), strongest first."""
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1, axis=0)[:k]  # (k, F), unordered
    order = np.argsort(-np.take_along_axis(scores, part, axis=0), axis=0, kind="stable")
    return np.take_along_axis(part, order, axis=0).T
