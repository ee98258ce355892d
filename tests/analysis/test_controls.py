"""Untrained control networks: same architecture, fresh weights per seed, the global RNG untouched, cached."""

from pathlib import Path

import numpy as np
import torch

from fau_lightning.analysis.controls import cache_size, clear_cache, control_values, untrained_copy
from fau_lightning.analysis.filters import layer_values
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


def test_control_values_are_cached_by_architecture_seed_and_images(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 6, 8), hidden_units=8)
    images = [np.random.default_rng(0).integers(0, 255, size=(n, 16, 16), dtype=np.uint8) for n in (6, 3)]
    calls, told = [], []

    def values_of(network, stack, layer, cells):
        calls.append(len(stack))
        return layer_values(network, stack, layer, cells)

    first = control_values(model, "relu3", 1, [0, 1], images, values_of, tmp_path, lambda *a: told.append(a))
    assert calls == [6, 3, 6, 3] and len(list(tmp_path.glob("control-*.npz"))) == 2 and told == [(1, 2), (2, 2)]
    assert cache_size(tmp_path)[0] == 2 and cache_size(tmp_path)[1] > 0
    again = control_values(model, "relu3", 1, [0, 1], images, values_of, tmp_path)
    assert calls == [6, 3, 6, 3]  # nothing recomputed
    for a, b in zip(first, again, strict=True):
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x, y)
    changed = [images[0], images[1][::-1].copy()]
    control_values(model, "relu3", 1, [0], changed, values_of, tmp_path)
    assert calls[-2:] == [6, 3]  # other images, other entry
    wider = ZeroBiasCNN(widths=(4, 6, 10), hidden_units=8)
    control_values(wider, "relu3", 1, [0], images, values_of, tmp_path)
    assert len(calls) == 8
    quadrants = control_values(model, "relu3", 2, [0], images, values_of, tmp_path)
    assert len(calls) == 10 and quadrants[0][0].shape == (6, 4 * 8)  # other cells, other entry
    for entry in tmp_path.glob("control-*.npz"):
        entry.write_bytes(b"broken")
    control_values(model, "relu3", 1, [0], images, values_of, tmp_path)
    assert len(calls) == 12  # a damaged entry is recomputed, not trusted
    (tmp_path / "keep.txt").write_text("not ours")
    entries, _ = clear_cache(tmp_path)
    assert entries == 5 and cache_size(tmp_path) == (0, 0) and (tmp_path / "keep.txt").exists()
