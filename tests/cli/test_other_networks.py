"""Another body through the same commands: ResNet-18 (and a class path) trained, tested, judged and reported
by fau-train, then judged by fau-analyze, run by the predictor and exported, from its checkpoint alone.
"""

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from fau_lightning.cli import analyze, export
from fau_lightning.cli.train import run_cli
from fau_lightning.inference.predictor import Predictor
from fau_lightning.models import ResNet18
from tests.helpers.tiny import REPO, csv_logger_args, tiny_args, tiny_data_args

RESNET = ["--model.network=resnet18", '--model.network_options={"widths": [8, 8, 16, 16]}']
QUICK_VERDICT = ["--analysis.control_seeds=3", "--analysis.shuffles=200"]


@pytest.fixture(scope="module")
def resnet_run(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("resnet")
    extra = [*csv_logger_args(folder), *RESNET, *QUICK_VERDICT, f"--checkpoint_dir={folder / 'checkpoints'}"]
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, folder, *extra)])
    best = Path(cli.trainer.checkpoint_callback.best_model_path)
    assert isinstance(cli.model.model, ResNet18)
    return best, best.with_suffix(".report")


def test_fau_train_tests_judges_and_reports_a_resnet(resnet_run: tuple[Path, Path]) -> None:
    _, report = resnet_run
    numbers = json.loads((report / "report.json").read_text())
    assert numbers["test"]["metrics"]["test/acc"] >= 0
    assert numbers["filters"]["layer"] == "layer3"  # auto: the deepest maps of at least 2x2 at 32x32
    assert numbers["filters"]["method"].startswith("none (ResNet18 has no nn.Sequential `features`")
    assert numbers["fau"]["settings"]["layer"] == "layer3" and numbers["fau"]["controls"] == 3
    assert (report / "top_patches.png").exists() and not (report / "projections.png").exists()
    assert (report / "conv1_filters.png").exists()


def test_fau_analyze_judges_any_layer_of_the_checkpoint(
    resnet_run: tuple[Path, Path], tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    checkpoint, _ = resnet_run
    args = [str(checkpoint), "--config", str(REPO / "configs" / "synthetic.yaml"), "--output", str(tmp_path / "r")]
    analyze.main(
        [*args, "--analysis.layer", "layer2", *QUICK_VERDICT, "--", *tiny_data_args(tiny_synthetic_root, tmp_path)]
    )
    numbers = json.loads((tmp_path / "r" / "report.json").read_text())
    assert numbers["fau"]["settings"]["layer"] == "layer2"
    assert all(row["unit"].startswith("f") for row in numbers["fau"]["alignments"])


def test_the_checkpoint_predicts_and_exports_without_lightning(resnet_run: tuple[Path, Path], tmp_path: Path) -> None:
    checkpoint, _ = resnet_run
    predictor = Predictor.from_checkpoint(checkpoint)
    faces = np.random.default_rng(0).integers(0, 255, (3, 32, 32), dtype=np.uint8)
    probabilities = predictor.classify(faces)
    assert probabilities.shape == (3, 8) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    export.main([str(checkpoint), "--output", str(tmp_path / "model.onnx")])
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    card = json.loads((tmp_path / "model.onnx.card.json").read_text())
    assert card["architecture"]["network"] == "resnet18" and session.get_inputs()[0].shape[1:] == [1, 32, 32]


@pytest.mark.slow
def test_a_network_named_by_class_path_goes_through_the_same_run(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    network = ["--model.network=tests.helpers.tiny_networks.TinyResidualNet", "--analysis.layer=block"]
    cli = run_cli(
        ["fit", *tiny_args(tiny_synthetic_root, tmp_path, *csv_logger_args(tmp_path), *network, *QUICK_VERDICT)]
    )
    report = Path(cli.trainer.checkpoint_callback.best_model_path).with_suffix(".report")
    numbers = json.loads((report / "report.json").read_text())
    assert numbers["fau"]["settings"]["layer"] == "block" and numbers["fau"]["alignments"]
