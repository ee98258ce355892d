"""Project one unit's activation back to pixels: Zeiler-Fergus deconvnet, or guided backprop.

Both work on an `nn.Sequential` of Conv2d / ReLU / MaxPool2d modules (the ZeroBiasCNN's `features`),
up to a named layer, for one image and one unit (filter, row, col) of that layer. Modules before the
first convolution (the input normalisation) are applied first and not inverted, so reconstructions
are in the normalised input's space, where the receptive field is exactly the convolutions'.
"""

import torch
import torch.nn.functional as F
from torch import nn


def _split(layers: nn.Sequential, upto: str) -> tuple[list[nn.Module], list[tuple[str, nn.Module]]]:
    """(modules before the first convolution, the rest up to and including `upto`)."""
    names = [n for n, _ in layers.named_children()]
    if upto not in names:
        raise KeyError(f"no layer named {upto!r} among {names}")
    stack = list(layers.named_children())[: names.index(upto) + 1]
    first_conv = next((i for i, (_, m) in enumerate(stack) if isinstance(m, nn.Conv2d)), len(stack))
    return [m for _, m in stack[:first_conv]], stack[first_conv:]


def _prepare(prefix: list[nn.Module], image: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        for module in prefix:
            image = module(image)
    return image


PROJECTABLE = (nn.Conv2d, nn.ReLU, nn.MaxPool2d)


def projectable(model: nn.Module, layer: str) -> str:
    """Why the projections cannot run on `layer`, or "" where they can: `model.features` must be an
    nn.Sequential holding `layer` as a child, and everything from its first convolution up to it a
    Conv2d, ReLU or MaxPool2d (what both projections invert).
    """
    features = getattr(model, "features", None)
    name = layer.removeprefix("features.")
    if not isinstance(features, nn.Sequential) or name not in dict(features.named_children()):
        return f"{type(model).__name__} has no nn.Sequential `features` holding {layer}"
    _, stack = _split(features, name)
    other = [n for n, m in stack if not isinstance(m, PROJECTABLE)]
    return f"{other[0]} is not a convolution, ReLU or max pool" if other else ""


def _unit_only(maps: torch.Tensor, unit: tuple[int, int, int]) -> torch.Tensor:
    f, r, c = unit
    signal = torch.zeros_like(maps)
    signal[0, f, r, c] = maps[0, f, r, c]
    return signal


@torch.no_grad()
def deconvnet(layers: nn.Sequential, upto: str, image: torch.Tensor, unit: tuple[int, int, int]) -> torch.Tensor:
    """Zeiler & Fergus (2014): forward with max-pool switches recorded; back through unpooling with
    those switches, ReLU on the signal, and transposed convolutions with the same filters.
    image: (1, C, H, W); returns (C, H, W).
    """
    prefix, stack = _split(layers, upto)
    x = _prepare(prefix, image)
    switches: dict[str, tuple[torch.Tensor, torch.Size]] = {}
    for name, module in stack:
        if isinstance(module, nn.MaxPool2d):
            size = x.shape
            x, indices = F.max_pool2d(x, module.kernel_size, module.stride, module.padding, return_indices=True)
            switches[name] = (indices, size)
        else:
            x = module(x)
    signal = _unit_only(x, unit)
    for name, module in reversed(stack):
        if isinstance(module, nn.Conv2d):
            signal = F.conv_transpose2d(signal, module.weight, stride=module.stride, padding=module.padding)
        elif isinstance(module, nn.ReLU):
            signal = F.relu(signal)
        elif isinstance(module, nn.MaxPool2d):
            indices, size = switches[name]
            signal = F.max_unpool2d(
                signal, indices, module.kernel_size, module.stride, module.padding, output_size=size[-2:]
            )
    return signal[0]


def guided_backprop(layers: nn.Sequential, upto: str, image: torch.Tensor, unit: tuple[int, int, int]) -> torch.Tensor:
    """Springenberg et al.

    (2015): the gradient of the unit with respect to the input, with negative gradients stopped at every ReLU on the
    way back. image: (1, C, H, W); returns (C, H, W).
    """
    prefix, stack = _split(layers, upto)
    hooks = [
        m.register_full_backward_hook(lambda _m, grad_in, _out: (grad_in[0].clamp(min=0),))
        for _, m in stack
        if isinstance(m, nn.ReLU)
    ]
    try:
        x = _prepare(prefix, image).detach().requires_grad_(True)
        out = x
        for _, module in stack:
            out = module(out)
        f, r, c = unit
        out[0, f, r, c].backward()
    finally:
        for hook in hooks:
            hook.remove()
    return x.grad[0].detach()
