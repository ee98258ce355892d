"""The control distribution: the same architecture with untrained weights, through the same analysis.

Random filters already respond to large image changes (an open mouth darkens the lower face), so
a trained filter is credited with learning an AU only when it beats the best filter of untrained
networks. Their activations depend only on the architecture, the seed and the probe images, so they
are cached on disk by exactly those.
"""

import copy
import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fau_lightning.analysis.activations import SpatialMaxima
from fau_lightning.atomic import write_atomically
from fau_lightning.models import ZeroBiasCNN

CACHE_VERSION = 2


def untrained_copy(model: ZeroBiasCNN, seed: int) -> ZeroBiasCNN:
    """A network of the same architecture with the paper's initial weights drawn from `seed`.

    The global random state is left as it was, so a control made during training changes nothing.
    """
    control = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        control.init_weights_()
    return control


def cache_key(model: nn.Module, layer: str, cells: int, seed: int, images: list[np.ndarray]) -> str:
    """What an untrained network's maxima depend on: architecture, layer and its cells, seed, probe pixels."""
    digest = hashlib.sha256(f"{CACHE_VERSION}|{model!r}|{layer}|{cells}|{seed}".encode())
    for name, tensor in model.state_dict().items():
        digest.update(f"{name}:{tuple(tensor.shape)}".encode())
    for stack in images:
        digest.update(str(stack.shape).encode())
        digest.update(np.ascontiguousarray(stack).tobytes())
    return digest.hexdigest()[:20]


def _save(path: Path, maxima: list[SpatialMaxima]) -> None:
    arrays = {}
    for i, m in enumerate(maxima):
        arrays |= {
            f"values{i}": m.values,
            f"rows{i}": m.rows.astype(np.uint16),
            f"cols{i}": m.cols.astype(np.uint16),
            f"size{i}": np.array(m.map_size),
            f"cells{i}": np.array(m.cells),
        }
    write_atomically(path, lambda f: np.savez(f, **arrays))


def _load(path: Path, parts: int) -> list[SpatialMaxima] | None:
    try:
        with np.load(path) as data:
            return [
                SpatialMaxima(
                    data[f"values{i}"],
                    data[f"rows{i}"].astype(np.int64),
                    data[f"cols{i}"].astype(np.int64),
                    tuple(data[f"size{i}"].tolist()),
                    int(data[f"cells{i}"]),
                )
                for i in range(parts)
            ]
    except Exception:  # a damaged cache entry is recomputed, never trusted
        return None


def control_maxima(
    model: ZeroBiasCNN,
    layer: str,
    cells: int,
    seeds: list[int],
    image_sets: list[np.ndarray],
    maxima_of,
    cache_dir: str | Path | None = None,
) -> list[list[SpatialMaxima]]:
    """For each seed, the untrained network's maxima on each image set.

    `maxima_of(model, images, layer, cells)` computes one set's maxima.
    """
    results = []
    for seed in seeds:
        path = (
            Path(cache_dir) / f"control-{cache_key(model, layer, cells, seed, image_sets)}.npz" if cache_dir else None
        )
        cached = _load(path, len(image_sets)) if path is not None and path.exists() else None
        if cached is None:
            control = untrained_copy(model, seed)
            cached = [maxima_of(control, images, layer, cells) for images in image_sets]
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                _save(path, cached)
        results.append(cached)
    return results
