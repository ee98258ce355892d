"""Receptive fields: where in the image a layer's unit gets its input from.

`measured_receptive_field` measures it on any network (which input pixels a unit's gradient reaches);
`receptive_field` counts it by hand over an `nn.Sequential` of convolutions and pooling, the check the
measurement is held to on the zero-bias CNN (tests/analysis/test_receptive_field.py).
"""

import copy
from dataclasses import dataclass

import torch
from torch import nn

from fau_lightning.analysis.activations import stopped_at
from fau_lightning.analysis.layers import first_convolution, module_path
from fau_lightning.models.local_contrast import LocalMeanSubtraction


@dataclass(frozen=True)
class ReceptiveField:
    """Unit (row, col) of the layer sees the square of side `size` centred at start + jump * index."""

    size: float
    jump: float
    start: float  # centre of unit 0, in input pixels (pixel i spans [i - 0.5, i + 0.5])

    def centre(self, row: float, col: float) -> tuple[float, float]:
        """(x, y) in input pixels."""
        return self.start + self.jump * col, self.start + self.jump * row

    def box(self, row: int, col: int, image_size: int | None = None) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1), end-exclusive pixel bounds of the patch, clipped to the image if its size is given."""
        x, y = self.centre(row, col)
        half = self.size / 2
        x0, y0, x1, y1 = (round(v) for v in (x - half + 0.5, y - half + 0.5, x + half + 0.5, y + half + 0.5))
        if image_size is not None:
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image_size, x1), min(image_size, y1)
        return x0, y0, x1, y1


def _pair(value) -> int:
    value = value if isinstance(value, (tuple, list)) else (value, value)
    if value[0] != value[1]:
        raise ValueError(f"only square kernels, strides and padding are supported, got {value}")
    return int(value[0])


def receptive_field(layers: nn.Sequential, upto: str) -> ReceptiveField:
    """The receptive field of the units of `layers.<upto>` (e.g. the ZeroBiasCNN's `features`, "relu3").

    Convolutions, max/avg pooling and the input normalisation's local mean (a stride-1 window) change
    it; element-wise modules (ReLU) do not.
    """
    names = [n for n, _ in layers.named_children()]
    if upto not in names:
        raise KeyError(f"no layer named {upto!r} among {names}")
    size, jump, start = 1.0, 1.0, 0.0
    for name, module in layers.named_children():
        if isinstance(module, LocalMeanSubtraction):
            size += (module.kernel_size - 1) * jump
        elif isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            k, s, p = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding)
            if isinstance(module, nn.Conv2d) and _pair(module.dilation) != 1:
                raise ValueError(f"{name}: dilated convolutions are not supported")
            size += (k - 1) * jump
            start += ((k - 1) / 2 - p) * jump
            jump *= s
        elif isinstance(module, (nn.AdaptiveMaxPool2d, nn.AdaptiveAvgPool2d)):
            raise ValueError(f"{name}: adaptive pooling depends on the input size; ask for a layer before it")
        if name == upto:
            break
    return ReceptiveField(size, jump, start)


MEASURE_INPUTS = 4  # random images whose gradients are pooled: ReLUs and max pooling each hide part of the field
MAX_GROWTH = 16  # the input is enlarged up to this many times the image while a field still touches its border


def _reached(x: torch.Tensor, maps: torch.Tensor, row: int, col: int) -> torch.Tensor:
    """(H, W) bool: the input pixels the gradient of the unit (row, col), summed over maps, reaches."""
    grad = torch.autograd.grad(maps[:, :, row, col].sum(), x, retain_graph=True)[0]
    return grad.abs().sum(dim=(0, 1)) > 0


def _extent(reached: torch.Tensor) -> tuple[float, float]:
    """(column centre, width) of the pixels reached."""
    rows, cols = reached.any(dim=1).nonzero()[:, 0], reached.any(dim=0).nonzero()[:, 0]
    c0, c1 = float(cols.min()), float(cols.max())
    return (c0 + c1) / 2, max(c1 - c0, float(rows.max() - rows.min())) + 1


def _touches_border(reached: torch.Tensor) -> bool:
    return bool(reached[0].any() or reached[-1].any() or reached[:, 0].any() or reached[:, -1].any())


_MEASURED: dict[tuple[str, str, int], ReceptiveField] = {}  # (architecture, layer, image size) -> its field


def measured_receptive_field(model: nn.Module, layer: str, image_size: int) -> ReceptiveField:
    """The receptive field of `layer`'s units, measured: the input pixels that the gradient of a unit in
    the middle of the map (summed over the layer's maps, pooled over a few random images) reaches give its
    size and centre, its right-hand neighbour's centre the jump. Where either field touches the border of
    an image of `image_size`, the image is enlarged (the field of a convolutional layer does not depend on
    the input size) up to MAX_GROWTH times; a field that still touches it covers the whole input, as with
    global pooling or attention, and is returned as measured at the largest size. A field depends on the
    architecture alone, so each is measured once per process.
    """
    path = module_path(model, layer)
    key = (repr(model), path, image_size)
    if key not in _MEASURED:
        with torch.inference_mode(False), torch.enable_grad():  # also where a validation loop turned them off
            _MEASURED[key] = _measure(model, path, image_size)
    return _MEASURED[key]


def _measure(model: nn.Module, path: str, image_size: int) -> ReceptiveField:
    probe = copy.deepcopy(model).float().eval()
    parameter = next(probe.parameters())
    channels = first_convolution(probe).in_channels
    generator = torch.Generator().manual_seed(0)
    size = image_size
    while True:
        x = torch.rand(MEASURE_INPUTS, channels, size, size, generator=generator).to(parameter.device)
        x.requires_grad_(True)
        maps = stopped_at(probe, path, x)
        row, col = maps.shape[2] // 2, maps.shape[3] // 2
        col = min(col, maps.shape[3] - 2)  # room for the neighbour
        here, there = _reached(x, maps, row, col), _reached(x, maps, row, col + 1)
        if not (_touches_border(here) or _touches_border(there)) or size >= MAX_GROWTH * image_size:
            break
        size *= 2
    (centre, width), (next_centre, _) = _extent(here), _extent(there)
    jump = next_centre - centre
    return ReceptiveField(size=width, jump=jump, start=centre - jump * col)
