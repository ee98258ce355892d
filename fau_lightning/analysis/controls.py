"""The control distribution: the same architecture with untrained weights, through the same analysis.

Random filters already respond to large image changes (an open mouth darkens the lower face), so
a trained filter is credited with learning an AU only when it beats the best filter of untrained
networks. Their activations depend only on the architecture, the seed and the probe images, so they
are cached on disk by exactly those.
"""

import copy
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fau_lightning.atomic import write_atomically
from fau_lightning.models import ZeroBiasCNN

CACHE_VERSION = 3  # 3: unit values only (rows and columns are never read for controls)


def default_control_cache() -> Path:
    """Where untrained networks' activations are kept: $XDG_CACHE_HOME (or ~/.cache)/fau_lightning/controls."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fau_lightning" / "controls"


def cache_size(cache_dir: str | Path) -> tuple[int, int]:
    """(entries, bytes) held in a control cache folder."""
    entries = list(Path(cache_dir).glob("control-*.npz")) if Path(cache_dir).is_dir() else []
    return len(entries), sum(e.stat().st_size for e in entries)


def clear_cache(cache_dir: str | Path) -> tuple[int, int]:
    """Delete every control cache entry (and nothing else) in the folder; returns what was removed."""
    removed = cache_size(cache_dir)
    for entry in Path(cache_dir).glob("control-*.npz") if Path(cache_dir).is_dir() else []:
        entry.unlink(missing_ok=True)
    return removed


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


def _load(path: Path, parts: int) -> list[np.ndarray] | None:
    try:
        with np.load(path) as data:
            return [data[f"values{i}"] for i in range(parts)]
    except Exception:  # a damaged cache entry is recomputed, never trusted
        return None


def control_values(
    model: ZeroBiasCNN,
    layer: str,
    cells: int,
    seeds: list[int],
    image_sets: list[np.ndarray],
    values_of: Callable[[nn.Module, np.ndarray, str, int], np.ndarray],
    cache_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[np.ndarray]]:
    """For each seed, the untrained network's unit values (N, U) on each image set.

    `values_of(model, images, layer, cells)` computes one set's values; `progress(done, total)` is
    told after each network.
    """
    results = []
    for done, seed in enumerate(seeds, start=1):
        path = (
            Path(cache_dir) / f"control-{cache_key(model, layer, cells, seed, image_sets)}.npz" if cache_dir else None
        )
        cached = _load(path, len(image_sets)) if path is not None and path.exists() else None
        if cached is None:
            control = untrained_copy(model, seed)
            cached = [values_of(control, images, layer, cells) for images in image_sets]
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                arrays = {f"values{i}": values for i, values in enumerate(cached)}
                write_atomically(path, lambda f: np.savez(f, **arrays))
        results.append(cached)
        if progress is not None:
            progress(done, len(seeds))
    return results
