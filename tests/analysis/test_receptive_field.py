import pytest
import torch

from fau_lightning.analysis.receptive_field import ReceptiveField, measured_receptive_field, receptive_field
from fau_lightning.errors import SettingError
from fau_lightning.models import ResNet18, ZeroBiasCNN

# By hand, for the 5x5 local mean, 5x5 convs with padding 2 and 2x2 pools with stride 2:
#   norm: size 5, jump 1, start 0        conv1: 5 + 4 = 9, 1, 0         pool1: 10, 2, 0.5
#   conv2: 10 + 4*2 = 18, 2, 0.5         pool2: 18 + 1*2 = 20, 4, 0.5 + 0.5*2 = 1.5
#   conv3: 20 + 4*4 = 36, 4, 1.5
HAND = {
    "norm": (5, 1, 0),
    "conv1": (9, 1, 0),
    "relu1": (9, 1, 0),
    "pool1": (10, 2, 0.5),
    "conv2": (18, 2, 0.5),
    "pool2": (20, 4, 1.5),
    "relu3": (36, 4, 1.5),
}
# ResNet-18 by hand: stem 7x7/2 pad 3 (7, 2, 0), max pool 3x3/2 pad 1 (11, 4, 0); each stage adds four
# 3x3 convolutions at its input jump, the first stride 2 (start stays 0: every padding is (k-1)/2):
#   layer1: 11 + 4*2*4 = 43, 4      layer2: 43 + 2*4 + 3*2*8 = 99, 8
#   layer3: 99 + 2*8 + 3*2*16 = 211, 16      layer4: 211 + 2*16 + 3*2*32 = 435, 32
RESNET_HAND = {"layer1": (43, 4, 0), "layer2": (99, 8, 0), "layer3": (211, 16, 0), "layer4": (435, 32, 0)}


@pytest.mark.parametrize("layer", sorted(HAND))
def test_papers_network_by_hand(layer: str) -> None:
    rf = receptive_field(ZeroBiasCNN().features, layer)
    assert (rf.size, rf.jump, rf.start) == HAND[layer]


@pytest.mark.parametrize("layer", sorted(HAND))
def test_the_measured_field_equals_the_counted_one_on_the_papers_network(layer: str) -> None:
    measured = measured_receptive_field(ZeroBiasCNN(widths=(8, 8, 8)), layer, 48)
    assert (measured.size, measured.jump, measured.start) == HAND[layer]


@pytest.mark.slow
@pytest.mark.parametrize("layer", sorted(RESNET_HAND))
def test_the_measured_field_of_resnet18_is_the_known_one(layer: str) -> None:
    measured = measured_receptive_field(ResNet18(widths=(8, 8, 8, 8)), layer, 48)
    assert (measured.size, measured.jump, measured.start) == RESNET_HAND[layer]


def test_the_measured_field_of_a_small_resnet_stage_needs_a_larger_input_than_the_image() -> None:
    """layer2's field (99 px) is wider than a 48 px image: it is measured on an enlarged input."""
    measured = measured_receptive_field(ResNet18(widths=(4, 4, 4, 4)), "layer2", 48)
    assert (measured.size, measured.jump, measured.start) == RESNET_HAND["layer2"]


def test_a_layer_the_network_lacks_is_named() -> None:
    with pytest.raises(SettingError, match="no module 'layer9'"):
        measured_receptive_field(ResNet18(), "layer9", 48)


def test_boxes_and_clipping() -> None:
    rf = ReceptiveField(32, 4, 1.5)
    assert rf.centre(0, 0) == (1.5, 1.5) and rf.centre(11, 23) == (93.5, 45.5)
    assert rf.box(5, 5) == (6, 6, 38, 38)  # centre 21.5: pixels 6..37
    assert rf.box(0, 0, image_size=96) == (0, 0, 18, 18)
    assert rf.box(23, 23, image_size=96) == (78, 78, 96, 96)


def test_the_box_contains_exactly_the_pixels_that_reach_a_unit() -> None:
    torch.manual_seed(0)
    model = ZeroBiasCNN(widths=(4, 4, 4)).double()
    features = model.features
    rf = receptive_field(features, "conv3")
    x = torch.rand(1, 1, 64, 64, dtype=torch.float64, requires_grad=True)
    upto = torch.nn.Sequential(*[m for n, m in features.named_children() if n not in ("relu3", "pool3")])
    row, col = 7, 9
    upto(x)[0, :, row, col].sum().backward()
    reached = (x.grad[0, 0].abs() > 0).nonzero()
    x0, y0, x1, y1 = rf.box(row, col, image_size=64)
    assert (
        reached[:, 1].min() >= x0
        and reached[:, 1].max() < x1
        and reached[:, 0].min() >= y0
        and reached[:, 0].max() < y1
    )
    assert (
        reached[:, 1].max() - reached[:, 1].min() + 1 >= rf.size - 4
    )  # and the box is not loose: ReLU/max zero some edges


def test_layers_after_quadrant_pooling_are_refused() -> None:
    with pytest.raises(ValueError, match="adaptive pooling"):
        receptive_field(ZeroBiasCNN().features, "pool3")
    with pytest.raises(KeyError, match="no layer named 'conv9'"):
        receptive_field(ZeroBiasCNN().features, "conv9")
