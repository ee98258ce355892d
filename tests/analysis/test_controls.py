"""Untrained control networks: same architecture, fresh weights per seed, the global RNG untouched; only
what the verdict reads is computed (the chosen units' held-out AUROCs) and cached, checked before use.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from fau_lightning.analysis.controls import (
    cache_size,
    clear_cache,
    control_aurocs,
    narrowed,
    untrained_copy,
)
from fau_lightning.analysis.filters import layer_values
from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.analysis.sequences import SequenceDesign
from fau_lightning.analysis.statistics import LayerScores, held_out_auroc, whole_maps
from fau_lightning.models import ZeroBiasCNN


def test_untrained_copy_is_the_papers_init_per_seed_and_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(0)
    trained = ZeroBiasCNN(widths=(4, 6, 8), hidden_units=8)
    with torch.no_grad():
        trained.features.conv1.weight.mul_(3)
    state = torch.get_rng_state()
    first, again, other = untrained_copy(trained, 5), untrained_copy(trained, 5), untrained_copy(trained, 6)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(first.features.conv3.weight, again.features.conv3.weight)
    assert not torch.equal(first.features.conv3.weight, other.features.conv3.weight)
    assert not torch.equal(first.features.conv1.weight, trained.features.conv1.weight)
    assert 0.2 <= float(first.init_k) <= 1.2 and float(first.classifier.fc4.bias[0]) == 1.0
    fan_in = 6 * 25
    relative_std = float(first.features.conv3.weight.std()) * fan_in**0.5 / float(first.init_k)
    assert abs(relative_std - 1) < 0.15  # N(0, (k / sqrt(fan_in))^2)


def test_a_narrowed_network_computes_just_the_chosen_maps() -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8), hidden_units=8)
    images = np.random.default_rng(0).integers(0, 255, size=(5, 16, 16), dtype=np.uint8)
    full = layer_values(model, images, "relu3", 2).reshape(5, 8, 4)
    filters = [6, 1, 3]
    part = layer_values(narrowed(model, "relu3", filters), images, "relu3", 2).reshape(5, 3, 4)
    assert np.allclose(part, full[:, filters], atol=1e-6)
    assert model.features.conv3.weight.shape[0] == 8  # the original is untouched


def _probes(n_sequences: int, size: int, seed: int) -> tuple[np.ndarray, SequenceDesign]:
    """Sequences of 3 images (a neutral first frame, two apex frames) with random pixels and AUs."""
    rng = np.random.default_rng(seed)
    n = 3 * n_sequences
    present = np.repeat(rng.random((n_sequences, 3)) < 0.5, 3, axis=0)
    apex = np.tile([False, True, True], n_sequences)
    probe = ProbeSet(
        rng.integers(0, 255, size=(n, size, size), dtype=np.uint8),
        [1, 2, 12],
        present & apex[:, None],
        np.full((n, 68, 2), np.nan, np.float32),
        np.repeat(np.arange(n_sequences), 3),
        np.where(apex, np.repeat(rng.integers(1, 4, n_sequences), 3), 0),
        apex,
        np.repeat(np.array([f"S{i // 2:03d}" for i in range(n_sequences)]), 3),
    )
    return probe.images, SequenceDesign.of(probe)


def test_control_aurocs_are_the_full_computations_and_are_cached_checked(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8), hidden_units=8)
    selection, evidence = _probes(12, 16, 0), _probes(10, 16, 1)
    told: list[tuple[int, int]] = []
    first = control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path, lambda *s: told.append(s))
    assert told == [(0, 2), (1, 2), (2, 2)]  # said as the first network to make begins, then after each
    for seed, got in zip([0, 1], first, strict=True):  # every unit's values on both sets, as the verdict defines it
        control = untrained_copy(model, seed)
        sel, ev = (layer_values(control, images, "relu3", 2) for images, _ in (selection, evidence))
        assert np.allclose(got.units, held_out_auroc(sel, selection[1], ev, evidence[1]), equal_nan=True)
        sel_maps, ev_maps = (whole_maps(LayerScores(v, cells=2)).values for v in (sel, ev))
        assert np.allclose(got.whole_maps, held_out_auroc(sel_maps, selection[1], ev_maps, evidence[1]), equal_nan=True)
    entries, size = cache_size(tmp_path)
    assert entries == 2 and size < 4000  # a handful of numbers per network
    told.clear()
    again = control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path, lambda *s: told.append(s))
    assert told == [(1, 2), (2, 2)]  # nothing to make: no beginning to say
    assert all(np.array_equal(a.units, b.units, equal_nan=True) for a, b in zip(first, again, strict=True))
    control_aurocs(model, "relu3", 2, [0], selection, _probes(10, 16, 2), "32", tmp_path)  # other evidence
    control_aurocs(ZeroBiasCNN(widths=(4, 6, 10), hidden_units=8), "relu3", 2, [0], selection, evidence, "32", tmp_path)
    control_aurocs(model, "relu3", 1, [0], selection, evidence, "32", tmp_path)  # other cells
    assert cache_size(tmp_path)[0] == 5
    for entry in tmp_path.glob("control-*.npz"):
        entry.write_bytes(b"broken")
    with pytest.warns(UserWarning, match="2 control cache entries not trusted \\(unreadable"):
        rebuilt = control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path)
    assert all(np.array_equal(a.units, b.units, equal_nan=True) for a, b in zip(first, rebuilt, strict=True))
    (tmp_path / "keep.txt").write_text("not ours")
    entries, _ = clear_cache(tmp_path)
    assert entries == 5 and cache_size(tmp_path) == (0, 0) and (tmp_path / "keep.txt").exists()


def test_an_entry_stored_under_another_key_is_not_trusted(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8), hidden_units=8)
    selection, evidence = _probes(12, 16, 0), _probes(10, 16, 1)
    control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path)
    first, second = sorted(tmp_path.glob("control-*.npz"))
    first.write_bytes(second.read_bytes())  # seed 1's numbers under seed 0's name
    with pytest.warns(UserWarning, match="does not match what it is stored under"):
        control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path)


@pytest.mark.parametrize("tamper", ["zeros", "half the rows"])
def test_an_entry_whose_numbers_changed_is_recomputed_with_one_warning(tmp_path: Path, tamper: str) -> None:
    """Still a valid .npz under its own key: all zeros (a plausible AUROC) or half the AU columns."""
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8), hidden_units=8)
    selection, evidence = _probes(12, 16, 0), _probes(10, 16, 1)
    first = control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path)
    for entry in tmp_path.glob("control-*.npz"):
        with np.load(entry) as data:
            arrays = {name: data[name] for name in data.files}
        for name in ("units", "whole_maps"):
            arrays[name] = np.zeros_like(arrays[name]) if tamper == "zeros" else arrays[name][: len(arrays[name]) // 2]
        np.savez(entry, **arrays)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path)
    assert [str(w.message) for w in caught] == [
        f"{tmp_path}: 2 control cache entries not trusted (does not match its checksum (changed since it was"
        " written)), recomputed"
    ]
    assert all(np.array_equal(a.units, b.units, equal_nan=True) for a, b in zip(first, again, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rewritten whole: trusted again
        control_aurocs(model, "relu3", 2, [0, 1], selection, evidence, "32", tmp_path)


def test_bf16_controls_come_close_and_are_cached_apart(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8), hidden_units=8)
    selection, evidence = _probes(12, 16, 0), _probes(10, 16, 1)
    exact = control_aurocs(model, "relu3", 2, [0], selection, evidence, "32", tmp_path)[0]
    rounded = control_aurocs(model, "relu3", 2, [0], selection, evidence, "bf16", tmp_path)[0]
    assert cache_size(tmp_path)[0] == 2
    assert np.nanmax(np.abs(exact.units - rounded.units)) < 0.2  # close, not the same numbers
    with pytest.raises(ValueError, match="precision"):
        control_aurocs(model, "relu3", 2, [0], selection, evidence, "auto", tmp_path)
