"""Which module of a network is the judged layer, found the same way for every network."""

from dataclasses import replace
from typing import TypeVar

import torch
from torch import nn

from fau_lightning.analysis.settings import AlignmentSettings
from fau_lightning.errors import SettingError

Settings = TypeVar("Settings", bound=AlignmentSettings)

AUTO = "auto"


def module_path(model: nn.Module, layer: str) -> str:
    """The dotted module path of `layer` in `model`: the path itself (`layer3`, `features.relu3`), or a
    child of the network's `features` stack named alone (`relu3` for the zero-bias CNN).

    Raises:
        SettingError: no module of that name, with the feature-map layers there are.
    """
    names = dict(model.named_modules())
    for path in (layer, f"features.{layer}"):
        if path and path in names:
            return path
    raise SettingError(f"layer: {type(model).__name__} has no module {layer!r}; top-level modules: {_top_level(model)}")


def _top_level(model: nn.Module) -> str:
    return ", ".join(name for name, _ in model.named_children())


def feature_map_sizes(model: nn.Module, paths: list[str], image_size: int) -> dict[str, tuple[int, ...]]:
    """The output shape (without the batch) of each module path for one blank image of `image_size`."""
    shapes: dict[str, tuple[int, ...]] = {}

    def keep_shape(path: str):  # noqa: ANN202
        def hook(_module: nn.Module, _inputs: tuple, out: object) -> None:
            shapes.setdefault(path, tuple(out.shape[1:]) if torch.is_tensor(out) else ())

        return hook

    hooks = [model.get_submodule(path).register_forward_hook(keep_shape(path)) for path in paths]
    parameter = next(model.parameters())
    channels = first_convolution(model).in_channels
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, channels, image_size, image_size, device=parameter.device, dtype=parameter.dtype))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return shapes


def resolve_layer(model: nn.Module, layer: str, image_size: int) -> str:
    """The judged layer's name as the report records it: `layer` itself, checked to give feature maps,
    or for "auto" the network's `default_layer` where it declares one (the zero-bias CNN: relu3), else
    its deepest top-level module whose output is a feature map of at least 2x2 at this image size.

    Raises:
        SettingError: no such module, or its output is not a (channels, height, width) map.
    """
    if layer == AUTO:
        declared = getattr(model, "default_layer", None)
        if declared:
            return resolve_layer(model, declared, image_size)
        children = [name for name, _ in model.named_children()]
        shapes = feature_map_sizes(model, children, image_size)
        maps = [name for name in children if len(shapes.get(name, ())) == 3 and min(shapes[name][1:]) >= 2]
        if not maps:
            raise SettingError(f"layer: auto: no top-level module of {type(model).__name__} gives feature maps")
        return maps[-1]
    path = module_path(model, layer)
    shape = feature_map_sizes(model, [path], image_size).get(path, ())
    if len(shape) != 3:
        raise SettingError(
            f"layer: {layer} gives outputs of shape {shape} per image, not (channels, height, width) maps"
        )
    return layer


def first_convolution(model: nn.Module) -> nn.Conv2d:
    """The network's first 2-D convolution: the filters that look at pixels."""
    found = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if found is None:
        raise SettingError(f"network: {type(model).__name__} has no Conv2d")
    return found


def settings_for(model: nn.Module, settings: Settings, image_size: int) -> Settings:
    """`settings` with the layer resolved for this network and image size (`resolve_layer`): what the
    report records, and what the untrained controls are cached under. Settings without a layer pass as given.
    """
    if not hasattr(settings, "layer"):
        return settings
    return replace(settings, layer=resolve_layer(model, settings.layer, image_size))
