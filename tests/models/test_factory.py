"""Networks built from a name: the zero-bias CNN, ResNet-18, a class path, timm where it imports; their
untrained controls drawn per seed from the same constructor.
"""

import copy
from pathlib import Path

import pytest
import torch

from fau_lightning.analysis.layers import module_path, resolve_layer
from fau_lightning.errors import SettingError
from fau_lightning.models import ResNet18, ZeroBiasCNN
from fau_lightning.models.factory import NetworkSpec, spec_from_arguments, spec_of
from fau_lightning.tasks import AUDetector, ExpressionClassifier
from tests.helpers.tiny_networks import TinyResidualNet

TINY_CLASS = "tests.helpers.tiny_networks.TinyResidualNet"


@pytest.mark.parametrize(
    ("name", "options", "kind"),
    [
        ("zero_bias_cnn", {"widths": (4, 4, 4)}, ZeroBiasCNN),
        ("resnet18", {"widths": (4, 4, 4, 4)}, ResNet18),
        (TINY_CLASS, {"width": 4}, TinyResidualNet),
    ],
)
def test_each_kind_builds_with_its_classes_and_channels(name: str, options: dict, kind: type) -> None:
    network = NetworkSpec(name, num_classes=5, in_channels=1, options=options).build()
    assert isinstance(network, kind) and network(torch.rand(2, 1, 32, 32)).shape == (2, 5)
    assert spec_of(network).name == name


def test_an_untrained_network_is_the_same_per_seed_and_leaves_the_global_generator_alone() -> None:
    spec = NetworkSpec("resnet18", options={"widths": (4, 4, 4, 4)})
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    first, again, other = spec.build(0), spec.build(0), spec.build(1)
    assert torch.equal(torch.rand(3), before)
    assert torch.equal(first.conv1.weight, again.conv1.weight) and not torch.equal(
        first.conv1.weight, other.conv1.weight
    )


def test_the_zero_bias_cnns_untrained_network_is_the_papers_initialisation_drawn_from_the_seed() -> None:
    """As the controls were always drawn, so cached control figures stay valid."""
    network = ZeroBiasCNN(widths=(4, 4, 4), hidden_units=8, dropout=0.5)
    expected = copy.deepcopy(network)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        expected.init_weights_()
    drawn = spec_of(network).build(7)
    for (name, a), (_, b) in zip(expected.state_dict().items(), drawn.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_task_arguments_name_the_network_and_a_checkpoint_rebuilds_it() -> None:
    task = ExpressionClassifier(num_classes=3, network="resnet18", network_options={"widths": [4, 4, 4, 4]})
    assert isinstance(task.model, ResNet18) and task(torch.rand(2, 1, 32, 32)).shape == (2, 3)
    detector = AUDetector(num_classes=4, network=TINY_CLASS, network_options={"width": 4})
    assert isinstance(detector.model, TinyResidualNet)
    spec = spec_from_arguments(task.hparams)
    assert spec.name == "resnet18" and spec.options == {"widths": [4, 4, 4, 4]} and spec.num_classes == 3
    zero_bias = spec_from_arguments(ExpressionClassifier(num_classes=3, widths=(4, 4, 4), dropout=0.5).hparams)
    assert zero_bias.options["widths"] == (4, 4, 4) and zero_bias.options["dropout"] == 0.5


def test_a_weights_file_starts_training_from_it_and_a_bad_one_is_one_line(tmp_path: Path) -> None:
    source = NetworkSpec("resnet18", options={"widths": (4, 4, 4, 4)}).build(3)
    torch.save(source.state_dict(), tmp_path / "start.pt")
    started = NetworkSpec("resnet18", options={"widths": (4, 4, 4, 4)}, weights=str(tmp_path / "start.pt")).build()
    assert torch.equal(started.conv1.weight, source.conv1.weight)
    assert not torch.equal(
        NetworkSpec("resnet18", options={"widths": (4, 4, 4, 4)}).build().conv1.weight, source.conv1.weight
    )
    with pytest.raises(SettingError, match="network_weights: .*missing.pt is not a file"):
        NetworkSpec("resnet18", weights=str(tmp_path / "missing.pt")).build()
    (tmp_path / "junk.pt").write_text("not weights")
    with pytest.raises(SettingError, match="junk.pt is not a state_dict"):
        NetworkSpec("resnet18", weights=str(tmp_path / "junk.pt")).build()


def test_a_task_reads_its_weights_file_when_a_fit_starts_not_when_rebuilt(tmp_path: Path) -> None:
    """A checkpoint rebuilds its task from its hyper-parameters, on machines that may not hold the file."""
    source = NetworkSpec("resnet18", num_classes=3, options={"widths": (4, 4, 4, 4)}).build(3)
    torch.save(source.state_dict(), tmp_path / "start.pt")
    arguments = {"num_classes": 3, "network": "resnet18", "network_options": {"widths": [4, 4, 4, 4]}}
    task = ExpressionClassifier(**arguments, network_weights=str(tmp_path / "start.pt"))
    assert not torch.equal(task.model.conv1.weight, source.conv1.weight)
    task.load_initial_weights()
    assert torch.equal(task.model.conv1.weight, source.conv1.weight)
    (tmp_path / "start.pt").unlink()
    ExpressionClassifier(**task.hparams)  # rebuilt as a checkpoint is: the file is not needed


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("resnet99", {}, "'resnet99' is none of zero_bias_cnn, resnet18, timm:<model> or a class path"),
        ("os.path.join", {}, "os.path.join is not an nn.Module class"),
        ("no_such_module.Net", {}, "cannot import no_such_module.Net"),
        ("resnet18", {"depth": 3}, "resnet18 does not take these options"),
    ],
)
def test_a_network_that_cannot_be_built_is_one_line(name: str, options: dict, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        NetworkSpec(name, options=options).build()


def test_zero_bias_options_go_to_the_task_not_to_network_options() -> None:
    with pytest.raises(SettingError, match="network_options: the zero-bias CNN takes its options as the task's own"):
        spec_from_arguments({"network_options": {"widths": [4, 4, 4]}})


def test_timm_models_by_name_where_timm_imports() -> None:
    try:
        import timm  # noqa: F401
    except Exception:  # noqa: BLE001 (not installed, or its torchvision does not match torch: docs/networks.md)
        with pytest.raises(SettingError, match="timm:resnet18 needs timm"):
            NetworkSpec("timm:resnet18").build()
        return
    network = NetworkSpec("timm:resnet18", num_classes=3).build(0)
    assert network(torch.rand(2, 1, 48, 48)).shape == (2, 3) and resolve_layer(network, "auto", 48) == "layer4"


def test_the_judged_layer_is_a_module_path_and_auto_is_the_networks_own() -> None:
    zero_bias, resnet = ZeroBiasCNN(widths=(4, 4, 4)), ResNet18(widths=(4, 4, 4, 4))
    assert resolve_layer(zero_bias, "auto", 48) == "relu3" and module_path(zero_bias, "relu3") == "features.relu3"
    assert resolve_layer(zero_bias, "features.relu2", 48) == "features.relu2"
    assert resolve_layer(resnet, "auto", 48) == "layer4"  # 2x2 maps
    assert resolve_layer(resnet, "auto", 32) == "layer3"  # layer4's are 1x1 there
    assert resolve_layer(resnet, "layer2.0.conv1", 48) == "layer2.0.conv1"
    with pytest.raises(SettingError, match="has no module 'layer9'; top-level modules: conv1, bn1"):
        resolve_layer(resnet, "layer9", 48)
    with pytest.raises(SettingError, match=r"layer: fc gives outputs of shape \(8,\) per image"):
        resolve_layer(resnet, "fc", 48)
