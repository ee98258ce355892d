"""A layer's maxima over images taken in batches: the same values whatever the batch, each batch told as it ends."""

import numpy as np
import torch

from fau_lightning.analysis.filters import layer_maxima
from tests.helpers.tiny_networks import TinyResidualNet


def test_each_batch_is_told_and_batching_changes_no_value() -> None:
    torch.manual_seed(0)
    model = TinyResidualNet()
    images = np.random.default_rng(0).integers(0, 256, (5, 32, 32), dtype=np.uint8)
    told: list[tuple[int, int]] = []
    batched = layer_maxima(model, images, "block", cells=2, batch_size=2, progress=lambda *step: told.append(step))
    whole = layer_maxima(model, images, "block", cells=2, batch_size=5)
    assert told == [(1, 3), (2, 3), (3, 3)]
    np.testing.assert_allclose(batched.values, whole.values, rtol=1e-5, atol=1e-6)
    assert batched.values.shape == (5, 8 * 4)
