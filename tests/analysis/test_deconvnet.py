import pytest
import torch
from torch import nn

from fau_lightning.analysis.deconvnet import deconvnet, guided_backprop
from fau_lightning.analysis.receptive_field import receptive_field
from fau_lightning.models import ZeroBiasCNN


@pytest.fixture
def model() -> ZeroBiasCNN:
    torch.manual_seed(0)
    return ZeroBiasCNN(widths=(6, 8, 10))


def _strongest_unit(model: ZeroBiasCNN, image: torch.Tensor, layer: str) -> tuple[int, int, int]:
    stack = nn.Sequential(
        *[
            m
            for n, m in list(model.features.named_children())[
                : [n for n, _ in model.features.named_children()].index(layer) + 1
            ]
        ]
    )
    maps = stack(image)[0]
    f = int(maps.amax(dim=(1, 2)).argmax())
    r, c = divmod(int(maps[f].argmax()), maps.shape[2])
    return f, r, c


@pytest.mark.parametrize("method", [deconvnet, guided_backprop])
def test_reconstruction_lies_inside_the_units_receptive_field(model: ZeroBiasCNN, method) -> None:
    image = torch.rand(1, 1, 48, 48)
    unit = _strongest_unit(model, image, "relu3")
    out = method(model.features, "relu3", image, unit)
    assert out.shape == (1, 48, 48) and out.abs().sum() > 0
    x0, y0, x1, y1 = receptive_field(model.features, "relu3").box(unit[1], unit[2], image_size=48)
    outside = out.clone()
    outside[:, y0:y1, x0:x1] = 0
    assert outside.abs().max() == 0


def test_deconvnet_of_a_conv1_unit_is_its_filter_scaled_by_the_activation(model: ZeroBiasCNN) -> None:
    image = torch.rand(1, 1, 20, 20)
    f, r, c = 2, 9, 11
    activation = model.features.relu1(model.features.conv1(model.features.norm(image)))[0, f, r, c]
    out = deconvnet(model.features, "relu1", image, (f, r, c))
    expected = torch.zeros(1, 20, 20)
    expected[0, r - 2 : r + 3, c - 2 : c + 3] = model.features.conv1.weight[f, 0] * activation
    assert torch.allclose(out, expected, atol=1e-6)


def test_guided_backprop_of_a_conv1_unit_is_its_filter(model: ZeroBiasCNN) -> None:
    image = torch.rand(1, 1, 20, 20)
    f, r, c = _strongest_unit(model, image, "relu1")  # active, so relu1 passes its gradient
    out = guided_backprop(model.features, "relu1", image, (f, r, c))
    expected = torch.zeros(1, 20, 20)
    expected[0, r - 2 : r + 3, c - 2 : c + 3] = model.features.conv1.weight[f, 0].detach()
    assert torch.allclose(out, expected, atol=1e-6)  # d(unit)/d(normalised input), nothing stopped


def test_guided_backprop_stops_negative_gradients(model: ZeroBiasCNN) -> None:
    image = torch.rand(1, 1, 32, 32)
    unit = _strongest_unit(model, image, "relu2")
    guided = guided_backprop(model.features, "relu2", image, unit)
    x = model.features.norm(image).detach().requires_grad_(True)
    model.features.relu2(model.features.conv2(model.features.pool1(model.features.relu1(model.features.conv1(x)))))[
        0, unit[0], unit[1], unit[2]
    ].backward()
    assert not torch.allclose(guided, x.grad[0])  # plain gradient differs: some negative paths were cut


def test_unknown_layer(model: ZeroBiasCNN) -> None:
    with pytest.raises(KeyError, match="conv7"):
        deconvnet(model.features, "conv7", torch.rand(1, 1, 8, 8), (0, 0, 0))
