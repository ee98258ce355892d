"""Receptive fields from a model's own layers: where in the image an activation comes from."""

from dataclasses import dataclass

from torch import nn


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

    Convolutions and max/avg pooling change it; element-wise modules (ReLU, normalisation by a
    local mean counts as element-wise here, since it is not part of what a filter computes) do not.
    """
    names = [n for n, _ in layers.named_children()]
    if upto not in names:
        raise KeyError(f"no layer named {upto!r} among {names}")
    size, jump, start = 1.0, 1.0, 0.0
    for name, module in layers.named_children():
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
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
