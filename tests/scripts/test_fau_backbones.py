"""scripts/fau_backbones_summary.py puts the two bodies side by side, and benchmark_backbones.py times them."""

import subprocess
import sys
from pathlib import Path

import pytest

from fau_lightning.analysis.verdict_tests import VerdictTest
from tests.helpers.tiny import REPO
from tests.scripts.test_fau_controls_summary import FAU, _record, _write


def _training(folder: Path, name: str, accuracy: float, failed_au_4: tuple) -> None:
    checkpoint = folder / name / "checkpoints" / "best.ckpt"
    _write(folder / name / "result.json", {"checkpoint": str(checkpoint)})
    fau = {**FAU, "alignments": [_record(1, ()), _record(4, failed_au_4)], "whole_map": {"recovered": []}}
    fau["settings"] = {**FAU["settings"], "layer": "layer4" if "resnet" in str(folder) else "relu3"}
    test = {"report": "classification", "metrics": {"test/acc": accuracy}}
    _write(checkpoint.with_suffix(".report") / "report.json", {"test": test, "fau": fau})


def test_each_network_gets_its_runs_and_each_au_its_seed_counts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import fau_backbones_summary

    for network in ("zero_bias_cnn", "resnet18"):
        _training(tmp_path / network, "seed_0", 0.87, ())
        _training(tmp_path / network, "seed_1", 0.80, (VerdictTest.CONTROL,))
    (tmp_path / "resnet18" / "seed_0" / "seconds").write_text("420")
    layer2 = {**FAU, "alignments": [_record(1, (VerdictTest.REGION,))], "whole_map": {"recovered": []}}
    layer2["settings"] = {**FAU["settings"], "layer": "layer2"}
    test = {"report": "classification", "metrics": {"test/acc": 0.87}}
    _write(tmp_path / "resnet18" / "seed_0" / "report_layer2" / "report.json", {"test": test, "fau": layer2})
    folds = {**FAU, "alignments": [_record(1, ())], "whole_map": {"recovered": []}}
    folds["settings"] = {**FAU["settings"], "layer": "layer4"}
    _write(tmp_path / "resnet18" / "seed_0" / "report_folds" / "report.json", {"test": test, "fau": folds})
    fau_backbones_summary.main(tmp_path)
    shown = capsys.readouterr().out
    assert "| ResNet-18 | seed 0 | 0.870 | **2** (1, 4) | 2 | 2 | layer4 | 7.0 min |" in shown
    assert "| zero-bias CNN | seed 1 | 0.800 | **1** (1) | 1 | 1 | relu3 | – |" in shown
    assert "| ResNet-18 | seed 0 | 0.870 | **0** (–) | 0 | 1 | layer2 | fau-analyze |" in shown
    assert "| 1 | 2 of 2 | 2 of 2 | 2 of 2 | 2 of 2 | 0 of 1 | 0 of 1 |" in shown
    assert shown.count("| ResNet-18 | seed 0 |") == 2  # a report on other evidence (report_folds) is not a layer
    assert "| 4 | 1 of 2 | 1 of 2 | 1 of 2 | 1 of 2 | 0 of 0 | 0 of 0 |" in shown  # AU 4 not tested at layer2


def test_the_speed_benchmark_prints_both_networks_and_their_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmark_backbones.py"), "--image_size", "32", "--steps", "1",
         "--warmup", "1", "--repeats", "1", "--batch_size", "8"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert "| zero-bias CNN (dropout 0.5) | 1.34 M |" in done.stdout and "| ResNet-18 | 11.17 M |" in done.stdout
    assert "1.00x" in done.stdout
