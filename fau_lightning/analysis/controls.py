"""The control distribution: the same architecture with untrained weights, through the same unit choice.

Random filters already respond to large image changes (an open mouth darkens the lower face), so
a trained unit is credited with learning an AU only when it beats what untrained networks' units
reach. The verdict reads one number per untrained network and AU: the held-out AUROC of the unit
chosen for the AU on the training subjects (with quadrants as units, and with whole filter maps as
units). Only those numbers are computed and cached on disk, keyed by everything they depend on:
the architecture, the layer and its cells, the seed, the arithmetic, the probe images and their labels.

The untrained networks come from the judged network's constructor (`models.factory.spec_of`), one seed
each. Each runs over the selection images once with every unit, then over the evidence images; where
the layer sits in a `features` stack (the zero-bias CNN), with just the filters its chosen units belong
to (the layer's convolution narrowed to them; everything before it is computed in full): the same
numbers as every unit on both sets, about half the work. `precision="bf16"` runs these passes in
bfloat16 instead of float32 (docs/speed.md: faster, and not the same numbers).
"""

import copy
import json
import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fau_lightning.analysis.activations import spatial_maxima
from fau_lightning.analysis.auroc import stratified_auroc
from fau_lightning.analysis.layers import module_path
from fau_lightning.analysis.sequences import SequenceDesign
from fau_lightning.analysis.statistics import LayerScores, best_units, whole_maps
from fau_lightning.files import cache_key, load_checked, remove_stale_temporaries, save_checked
from fau_lightning.models.factory import spec_of
from fau_lightning.pixels import to_unit_float
from fau_lightning.progress import StepProgress

CACHE_VERSION = 5  # 5: keyed by files.cache_key; 4: each AU's best units' held-out AUROCs only (3: every unit's values)


def default_control_cache() -> Path:
    """Where untrained networks' AUROCs are kept: $XDG_CACHE_HOME (or ~/.cache)/fau_lightning/controls."""
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


def untrained_copy(model: nn.Module, seed: int) -> nn.Module:
    """The untrained network of `seed` from `model`'s constructor (`NetworkSpec.build(seed)`; the zero-bias
    CNN: the paper's initial weights), on `model`'s device and in evaluation mode.

    The global random state is left as it was, so a control made during training changes nothing.
    """
    parameter = next(model.parameters())
    return spec_of(model).build(seed).to(parameter.device, parameter.dtype).eval()


@dataclass(frozen=True)
class ControlAurocs:
    """What the verdict reads from one untrained network: for each AU column of the probe sets, the
    held-out AUROC of the unit chosen for it on the selection set.
    """

    units: np.ndarray  # (T,) units as judged (`cells` per side of each map)
    whole_maps: np.ndarray  # (T,) each filter's whole map as one unit


def _in_features(model: nn.Module, layer: str) -> bool:
    """Whether `layer` is a child of the network's `features` stack (an nn.Sequential)."""
    return isinstance(getattr(model, "features", None), nn.Sequential) and module_path(model, layer) == (
        f"features.{layer.removeprefix('features.')}"
    )


def narrowed(model: nn.Module, layer: str, filters: list[int]) -> nn.Module:
    """A copy of `model` whose convolution feeding `features.<layer>` computes only `filters`: the
    layer then has len(filters) maps, in that order. Every module between that convolution and the
    layer must act on each map alone (activations, pooling).
    """
    layer = layer.removeprefix("features.")
    copied = copy.deepcopy(model)
    children = list(copied.features.named_children())
    names = [name for name, _ in children]
    conv = next(module for _, module in reversed(children[: names.index(layer) + 1]) if isinstance(module, nn.Conv2d))
    with torch.no_grad():
        conv.weight = nn.Parameter(conv.weight[filters].clone(), requires_grad=False)
    conv.out_channels = len(filters)
    return copied


def _shared_modules(model: nn.Module, layer: str) -> list[str]:
    """The leading modules of `model.features` without weights (the input normalisation), where the layer
    is in that stack: every untrained network computes the same there, so it is computed once.
    """
    names: list[str] = []
    if not _in_features(model, layer):
        return names
    for name, module in model.features.named_children():
        if any(True for _ in module.parameters()):
            break
        names.append(name)
    return names


def _shared_inputs(model: nn.Module, layer: str, images: np.ndarray, batch_size: int = 64) -> list[torch.Tensor]:
    """Batches of uint8 images (N, S, S) through `_shared_modules`, channels-last."""
    device = next(model.parameters()).device
    shared = [model.features.get_submodule(name) for name in _shared_modules(model, layer)]
    batches = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = to_unit_float(images[start : start + batch_size]).unsqueeze(1).to(device)
            for module in shared:
                x = module(x)
            batches.append(x.contiguous(memory_format=torch.channels_last))
    return batches


def _unit_values(model: nn.Module, batches: list[torch.Tensor], layer: str, cells: int) -> np.ndarray:
    """(N, U) the layer's unit maxima of a network whose shared modules were already applied to `batches`."""
    shared, rest = _shared_modules(model, layer), model
    if shared:
        rest = copy.copy(model)
        rest.features = nn.Sequential(
            OrderedDict((n, nn.Identity() if n in shared else m) for n, m in model.features.named_children())
        )
    device = next(model.parameters()).device
    return spatial_maxima(rest, module_path(rest, layer), batches, device, cells, channels_last=True).values


def _chosen_aurocs(
    control: nn.Module,
    layer: str,
    cells: int,
    selection: tuple[list[torch.Tensor], SequenceDesign],
    evidence: tuple[list[torch.Tensor], SequenceDesign],
) -> ControlAurocs:
    """One untrained network's best units chosen on the selection batches, measured on the evidence batches."""
    (selection_batches, selection_design), (evidence_batches, evidence_design) = selection, evidence
    chosen = LayerScores(_unit_values(control, selection_batches, layer, cells), cells=cells)
    best_unit, _ = best_units(chosen.values, selection_design.labels, selection_design.strata)
    best_map, _ = best_units(whole_maps(chosen).values, selection_design.labels, selection_design.strata)
    per_map = cells**2
    filters = sorted({int(u) // per_map for u in best_unit} | {int(f) for f in best_map})
    if _in_features(control, layer):
        position = {f: i for i, f in enumerate(filters)}
        measured_network = narrowed(control, layer, filters)
    else:
        position = {f: f for f in filters}
        measured_network = control
    measured = LayerScores(_unit_values(measured_network, evidence_batches, layer, cells), cells=cells)
    unit_columns = [position[int(u) // per_map] * per_map + int(u) % per_map for u in best_unit]
    map_columns = [position[int(f)] for f in best_map]
    labels = evidence_design.labels
    return ControlAurocs(
        stratified_auroc(measured.values[:, unit_columns], labels),
        stratified_auroc(whole_maps(measured).values[:, map_columns], labels),
    )


def control_key(model: nn.Module, layer: str, cells: int, seed: int, precision: str, data: str) -> str:
    """What an untrained network's AUROCs depend on: architecture, layer and its cells, seed, arithmetic
    and the probe data (`cache_key` of the images and labels).
    """
    shapes = [f"{name}:{tuple(tensor.shape)}" for name, tensor in model.state_dict().items()]
    return cache_key(CACHE_VERSION, repr(model), layer, cells, seed, precision, data, shapes, length=24)


def _load(path: Path, key: str, columns: int) -> tuple[ControlAurocs | None, str]:
    """A cache entry and "", or None and why it is not trusted: it must pass its checksum, name its own key
    and hold one AUROC (in [0, 1] or NaN) per AU column.
    """
    arrays, problem = load_checked(path)
    if arrays is None:
        return None, problem
    try:
        entry = ControlAurocs(arrays["units"], arrays["whole_maps"])
        stored_key = json.loads(arrays["made_from"].item())["key"]
    except (KeyError, ValueError) as err:
        return None, f"lacks {err}"
    valid = all(v.shape == (columns,) and np.all(np.isnan(v) | ((v >= 0) & (v <= 1))) for v in vars(entry).values())
    if stored_key != key or not valid:
        return None, "does not match what it is stored under"
    return entry, ""


def _save(path: Path, entry: ControlAurocs, made_from: dict) -> None:
    """An entry with what it was made from (its key among it) and, by `save_checked`, a checksum."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"made_from": np.array(json.dumps(made_from).encode()), **vars(entry)}
    save_checked(path, arrays)


def _warn_untrusted(cache_dir: str | Path, problems: list[str]) -> None:
    if problems:
        count = f"{len(problems)} control cache entr{'y' if len(problems) == 1 else 'ies'}"
        warnings.warn(f"{cache_dir}: {count} not trusted ({problems[0]}), recomputed", stacklevel=3)


def control_aurocs(
    model: nn.Module,
    layer: str,
    cells: int,
    seeds: list[int],
    selection: tuple[np.ndarray, SequenceDesign],
    evidence: tuple[np.ndarray, SequenceDesign],
    precision: str = "auto",
    cache_dir: str | Path | None = None,
    progress: StepProgress | None = None,
) -> list[ControlAurocs]:
    """For each seed, the untrained network's best units' held-out AUROCs (`ControlAurocs`).

    `selection` and `evidence` are (uint8 images (N, S, S), their sequence design); `precision` is "32"
    or "bf16" (the forward passes' arithmetic); `progress(done, total)` is told after each network, and
    before the first one not in the cache.
    """
    if precision not in ("32", "bf16"):
        raise ValueError(f"precision must be 32 or bf16, got {precision!r}")
    device = next(model.parameters()).device
    columns = selection[1].labels.shape[1]
    data = cache_key(selection[0], selection[1].labels, selection[1].strata, evidence[0], evidence[1].labels, length=64)
    inputs: list[list[torch.Tensor]] = []  # selection and evidence batches, made at the first network not cached
    if cache_dir is not None:
        remove_stale_temporaries(cache_dir)  # entries whose writer was killed
    results, untrusted = [], []
    for done, seed in enumerate(seeds, start=1):
        key = control_key(model, layer, cells, seed, precision, data)
        path = Path(cache_dir) / f"control-{key}.npz" if cache_dir else None
        entry, problem = _load(path, key, columns) if path is not None and path.exists() else (None, "")
        untrusted += [problem] if problem else []
        if entry is None:
            if not inputs:
                inputs = [_shared_inputs(model, layer, images) for images in (selection[0], evidence[0])]
                if progress is not None:
                    progress(done - 1, len(seeds))  # the first network to make starts now
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                entry = _chosen_aurocs(
                    untrained_copy(model, seed),
                    layer,
                    cells,
                    (inputs[0], selection[1]),
                    (inputs[1], evidence[1]),
                )
            if path is not None:
                made_from = {"key": key, "network": type(model).__name__, "layer": layer, "cells": cells}
                _save(path, entry, {**made_from, "seed": seed, "precision": precision, "probe_data": data})
        results.append(entry)
        if progress is not None:
            progress(done, len(seeds))
    _warn_untrusted(cache_dir, untrusted)
    return results
