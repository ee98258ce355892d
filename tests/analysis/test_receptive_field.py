import pytest
import torch

from fau_lightning.analysis.receptive_field import ReceptiveField, receptive_field
from fau_lightning.models import ZeroBiasCNN

# By hand, for 5x5 convs with padding 2 and 2x2 pools with stride 2:
#   conv1: size 5, jump 1, start 0      pool1: 6, 2, 0.5
#   conv2: 6 + 4*2 = 14, 2, 0.5         pool2: 14 + 1*2 = 16, 4, 0.5 + 0.5*2 = 1.5
#   conv3: 16 + 4*4 = 32, 4, 1.5
HAND = {
    "conv1": (5, 1, 0),
    "relu1": (5, 1, 0),
    "pool1": (6, 2, 0.5),
    "conv2": (14, 2, 0.5),
    "pool2": (16, 4, 1.5),
    "relu3": (32, 4, 1.5),
}


@pytest.mark.parametrize("layer", sorted(HAND))
def test_papers_network_by_hand(layer: str) -> None:
    rf = receptive_field(ZeroBiasCNN().features, layer)
    assert (rf.size, rf.jump, rf.start) == HAND[layer]


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
    upto = torch.nn.Sequential(*[m for n, m in features.named_children() if n not in ("norm", "relu3", "pool3")])
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
