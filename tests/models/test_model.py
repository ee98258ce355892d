import math

import pytest
import torch
from torch import nn

from fau_lightning.models import LocalMeanSubtraction, ZeroBiasCNN


@pytest.mark.parametrize("size,pool_window", [(96, 12), (48, 6), (64, 8)])
def test_shapes_and_quadrant_pooling(size: int, pool_window: int) -> None:
    model = ZeroBiasCNN(num_classes=7)
    x = torch.rand(2, 1, size, size)
    feats = model.features[:-1](x)  # everything before quadrant pooling
    assert feats.shape == (2, 256, size // 4, size // 4)
    assert model.features(x).shape == (2, 256, 2, 2)
    assert model(x).shape == (2, 7)
    # each pooled cell is the max over one quadrant of pool_window x pool_window cells
    pooled = model.features.pool3(feats)
    assert torch.equal(pooled[:, :, 0, 1], feats[:, :, :pool_window, pool_window:].amax(dim=(-2, -1)))
    assert torch.equal(pooled[:, :, 1, 0], feats[:, :, pool_window:, :pool_window].amax(dim=(-2, -1)))


def test_convolutions_have_no_bias_and_dense_layers_do() -> None:
    model = ZeroBiasCNN()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256]
    assert all(c.bias is None and c.kernel_size == (5, 5) and c.padding == (2, 2) for c in convs)
    assert torch.all(model.classifier.fc4.bias == 1.0)
    assert model.classifier.fc4.in_features == 1024 and model.classifier.fc4.out_features == 300
    assert torch.all(model.classifier.out.bias == 0.0)
    assert all(isinstance(getattr(model.features, name), nn.ReLU) for name in ("relu1", "relu2", "relu3"))


def test_widths_classes_and_dropout_position() -> None:
    model = ZeroBiasCNN(num_classes=6, widths=(8, 16, 32), hidden_units=20, dropout=0.5)
    names = list(dict(model.classifier.named_children()))
    assert names.index("dropout") == names.index("fc4") - 1  # dropout acts on fc4's input
    assert model.classifier.dropout.p == 0.5
    assert model.classifier.fc4.in_features == 4 * 32
    assert model(torch.rand(3, 1, 48, 48)).shape == (3, 6)
    with pytest.raises(ValueError, match="dropout"):
        ZeroBiasCNN(dropout=1.0)


def test_paper_init_draws_one_k_and_scales_by_fan_in() -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN()
    k = float(model.init_k)
    assert 0.2 <= k <= 1.2
    for layer, fan_in in (
        (model.features.conv2, 64 * 25),
        (model.features.conv3, 128 * 25),
        (model.classifier.fc4, 1024),
    ):
        assert layer.weight.std().item() == pytest.approx(k / math.sqrt(fan_in), rel=0.05)
    torch.manual_seed(0)
    assert float(ZeroBiasCNN().init_k) == k  # seeded runs draw the same k
    assert torch.isnan(ZeroBiasCNN(init="pytorch").init_k)


def test_local_mean_subtraction_matches_definition() -> None:
    norm = LocalMeanSubtraction()
    x = torch.rand(1, 1, 9, 9)
    out = norm(x)
    scaled = 2 * x[0, 0]
    assert out[0, 0, 4, 4].item() == pytest.approx((scaled[4, 4] - scaled[2:7, 2:7].mean()).item(), abs=1e-6)
    # zero padding: the corner's mean is over its 3x3 in-image neighbours divided by 25
    assert out[0, 0, 0, 0].item() == pytest.approx((scaled[0, 0] - scaled[:3, :3].sum() / 25).item(), abs=1e-6)
    flat = norm(torch.full((1, 1, 9, 9), 0.5))
    assert torch.allclose(flat[0, 0, 2:-2, 2:-2], torch.zeros(5, 5), atol=1e-6)


def test_std_division_is_optional_and_off_by_default() -> None:
    x = torch.rand(2, 1, 16, 16)
    assert torch.allclose(ZeroBiasCNN().features.norm(x), LocalMeanSubtraction()(x))
    divided = LocalMeanSubtraction(divide_by_std=True)(x * 0.1)
    assert torch.allclose(divided, LocalMeanSubtraction(divide_by_std=True)(x), atol=1e-4)  # contrast-invariant
    assert not torch.allclose(LocalMeanSubtraction()(x * 0.1), LocalMeanSubtraction()(x))
