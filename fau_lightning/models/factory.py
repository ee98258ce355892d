"""Which network a task trains, built from a name: the zero-bias CNN, the package's ResNet-18, a timm model,
or any nn.Module class.

The same spec builds the network that trains (`build()`), the network a checkpoint holds, and each
untrained control of the FAU verdict (`build(seed)`), so all of them share one constructor.
"""

import importlib
import inspect
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from fau_lightning.errors import SettingError
from fau_lightning.models.resnet import ResNet18
from fau_lightning.models.zero_bias_cnn import ZeroBiasCNN

ZERO_BIAS = "zero_bias_cnn"
BUILT_IN = {ZERO_BIAS: ZeroBiasCNN, "resnet18": ResNet18}  # names -> classes taking num_classes, in_channels
TIMM_PREFIX = "timm:"
# the task arguments that shape the zero-bias CNN (ZeroBiasCNN's own keyword arguments)
ZERO_BIAS_OPTIONS = tuple(
    p for p in inspect.signature(ZeroBiasCNN).parameters if p not in ("num_classes", "in_channels")
)


@dataclass(frozen=True)
class NetworkSpec:
    """A network to build.

    name: a built-in network ("zero_bias_cnn", "resnet18"), "timm:<model name>" (timm.create_model, random
    initialisation), or the import path of an nn.Module class ("package.module.Class") taking `num_classes`
    and `in_channels` keywords.
    options: further constructor keywords. weights: a local file of initial weights (timm: its pretrained
    file, adapted to the input channels and class count by timm; other networks: a state_dict loaded
    strictly); nothing is ever downloaded.
    """

    name: str = ZERO_BIAS
    num_classes: int = 8
    in_channels: int = 1
    options: Mapping = field(default_factory=dict)
    weights: str | None = None

    def build(self, seed: int | None = None) -> nn.Module:
        """The network. seed None: weights drawn from torch's global generator, and the weights file loaded
        where one is named (training). An int: the untrained network of that seed (no weights file), the
        global generator left as it was: the controls of the FAU verdict.
        """
        if seed is None:
            network = self._construct(self.weights)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                network = self._construct(None)
                if isinstance(network, ZeroBiasCNN):  # the paper's initialisation, drawn first from the seed
                    torch.manual_seed(seed)
                    network.init_weights_()
        network.network_spec = self  # how to draw its untrained controls (`spec_of`)
        return network

    def _construct(self, weights: str | None) -> nn.Module:
        if self.name.startswith(TIMM_PREFIX):
            name = self.name.removeprefix(TIMM_PREFIX)
            return _timm_model(name, self.num_classes, self.in_channels, self.options, weights)
        cls = BUILT_IN.get(self.name) or _module_class(self.name)
        try:
            network = cls(num_classes=self.num_classes, in_channels=self.in_channels, **self.options)
        except TypeError as err:
            raise SettingError(f"network: {self.name} does not take these options ({err})") from err
        if weights is not None:
            network.load_state_dict(_read_weights(weights))
        return network


def _timm_model(name: str, num_classes: int, in_channels: int, options: Mapping, weights: str | None) -> nn.Module:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before timm imports the hub: nothing reaches the network
    try:
        import timm
    except Exception as err:  # noqa: BLE001 (ImportError, or torchvision built for another torch: docs/networks.md)
        raise SettingError(f"network: timm:{name} needs timm with a torchvision that matches torch ({err})") from err
    if not timm.is_model(name):
        raise SettingError(f"network: timm has no model {name!r} (timm.list_models() names them)")
    pretrained = {}
    if weights is not None:
        _check_file(weights)
        pretrained = {"pretrained": True, "pretrained_cfg_overlay": {"file": str(weights)}}
    return timm.create_model(name, num_classes=num_classes, in_chans=in_channels, **pretrained, **dict(options))


def _module_class(path: str) -> type[nn.Module]:
    module_name, _, class_name = path.rpartition(".")
    if not module_name or not all(part.isidentifier() for part in path.split(".")):
        known = ", ".join(BUILT_IN)
        raise SettingError(f"network: {path!r} is none of {known}, timm:<model> or a class path module.Class")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise SettingError(f"network: cannot import {path} ({err})") from err
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise SettingError(f"network: {path} is not an nn.Module class")
    return cls


def _check_file(weights: str) -> None:
    if not Path(weights).is_file():
        raise SettingError(f"network_weights: {weights} is not a file")


def _read_weights(weights: str) -> dict:
    _check_file(weights)
    try:
        return torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 (any unreadable file is the same input error)
        raise SettingError(f"network_weights: {weights} is not a state_dict torch can read ({err})") from err


def spec_from_arguments(arguments: Mapping, weights: bool = True) -> NetworkSpec:
    """The spec a task's arguments (or a checkpoint's hyper-parameters) describe: `network`,
    `network_options`, `network_weights`, `num_classes`, `in_channels` and, for the zero-bias CNN,
    its own arguments (`widths`, `dropout`, ...). `weights=False` leaves the weights file out (a
    checkpoint already holds the trained weights).
    """
    name = arguments.get("network") or ZERO_BIAS
    options = dict(arguments.get("network_options") or {})
    if name == ZERO_BIAS:
        if options:
            raise SettingError("network_options: the zero-bias CNN takes its options as the task's own arguments")
        options = {key: arguments[key] for key in ZERO_BIAS_OPTIONS if key in arguments}
    return NetworkSpec(
        name=name,
        num_classes=int(arguments.get("num_classes", 8)),
        in_channels=int(arguments.get("in_channels", 1)),
        options=options,
        weights=arguments.get("network_weights") if weights else None,
    )


def spec_of(network: nn.Module) -> NetworkSpec:
    """The spec a network was built from (`NetworkSpec.build`); a ZeroBiasCNN made directly describes itself.

    Raises:
        SettingError: the network was made some other way, so its untrained controls cannot be drawn.
    """
    spec = getattr(network, "network_spec", None)
    if spec is not None:
        return spec
    if isinstance(network, ZeroBiasCNN):
        classes, channels = network.classifier.out.out_features, network.features.conv1.in_channels
        return NetworkSpec(ZERO_BIAS, classes, channels, network.arguments)
    raise SettingError(
        f"network: a {type(network).__name__} not built by NetworkSpec.build; its untrained controls cannot be drawn"
    )
