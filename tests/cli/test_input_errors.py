"""Bad input ends in one line on stderr that names the path or setting, and exit status 2; never a traceback."""

import os
from pathlib import Path

import pytest
import torch

from fau_lightning.checkpoint import read_checkpoint
from fau_lightning.cli import analyze, baseline, export, predict, train
from fau_lightning.errors import CheckpointError
from fau_lightning.readers.real_photos import sample_photographs
from tests.helpers.ck_plus_files import write_sequence
from tests.helpers.tiny import REPO

SYNTHETIC = str(REPO / "configs" / "synthetic.yaml")
CK_PLUS = str(REPO / "configs" / "ck_plus.yaml")
TFD = str(REPO / "configs" / "tfd.yaml")


def _one_line_error(capsys: pytest.CaptureFixture, main, args: list[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(lines)
    return lines[-1]


def _ck_plus_with_bad_emotion(root: Path) -> Path:
    write_sequence(root, "S005", "001", emotion=None, emotion_text="happy\n")
    return root


@pytest.mark.parametrize(
    "case,expected",
    [
        ("missing root", "{tmp}/nowhere does not exist"),
        ("fold out of range", "fold: must be in 0..9"),
        ("unknown label set", "label_set: unknown label set 'ck7'"),
        ("malformed emotion file", "S005_001_00000005_emotion.txt: expected numbers"),
        ("tiny non-MATLAB file", "TFD.mat: not a readable MATLAB file"),
        ("truncated checkpoint", "best.ckpt: not a readable PyTorch checkpoint, or a truncated one"),
        ("unknown network", "network: 'resnet99' is none of zero_bias_cnn, resnet18"),
        ("unknown layer", "layer: ZeroBiasCNN has no module 'layer9'"),
    ],
)
def test_fau_train_bad_input_is_one_line(
    case: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = {
        "missing root": ["fit", "--config", CK_PLUS, f"--data.root={tmp_path / 'nowhere'}"],
        "fold out of range": ["fit", "--config", SYNTHETIC, "--data.fold=42"],
        "unknown label set": ["fit", "--config", SYNTHETIC, "--data.label_set=ck7"],
        "malformed emotion file": [
            "fit",
            "--config",
            CK_PLUS,
            f"--data.root={_ck_plus_with_bad_emotion(tmp_path / 'ck')}",
            "--data.face_crop=none",
        ],
        "tiny non-MATLAB file": ["fit", "--config", TFD, f"--data.path={_text_file(tmp_path / 'TFD.mat')}"],
        "unknown network": ["fit", "--config", SYNTHETIC, "--model.network=resnet99"],
        "unknown layer": ["fit", "--config", SYNTHETIC, "--analysis.layer=layer9"],
        "truncated checkpoint": [
            "test",
            "--config",
            SYNTHETIC,
            f"--ckpt_path={_truncated_checkpoint(tmp_path / 'best.ckpt')}",
        ],
    }[case]
    line = _one_line_error(capsys, train.main, [*args, "--trainer.logger=false"])
    assert line.startswith("fau-train: error: ") and expected.format(tmp=tmp_path) in line


def test_other_commands_say_it_in_one_line_too(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text = _text_file(tmp_path / "model.ckpt")
    line = _one_line_error(capsys, analyze.main, [str(text), "--config", SYNTHETIC])
    assert line.startswith("fau-analyze: error: ") and "model.ckpt: not a PyTorch checkpoint" in line
    line = _one_line_error(capsys, baseline.main, ["--config", SYNTHETIC, "--data.fold=42"])
    assert line.startswith("fau-baseline: error: ") and "fold: must be in 0..9" in line


def test_fau_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAU_DEBUG", "1")
    with pytest.raises(CheckpointError, match="model.ckpt"):
        analyze.main([str(_text_file(tmp_path / "model.ckpt")), "--config", SYNTHETIC])


class _RunsCode:
    """Unpickling this would call os.system: what a hostile checkpoint carries."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    marker, path = tmp_path / "ran", tmp_path / "hostile.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"payload": _RunsCode(marker)}}, path)
    with pytest.raises(CheckpointError, match="hostile.ckpt: refused"):
        read_checkpoint(path)
    line = _one_line_error(capsys, train.main, ["test", "--config", SYNTHETIC, f"--ckpt_path={path}"])
    assert "hostile.ckpt: refused" in line
    line = _one_line_error(capsys, analyze.main, [str(path), "--config", SYNTHETIC])
    assert "hostile.ckpt: refused" in line
    photo = str(next(iter(sample_photographs().values())))
    line = _one_line_error(capsys, predict.main, [str(path), photo, "--output", str(tmp_path / "p.csv")])
    assert line.startswith("fau-predict: error: ") and "hostile.ckpt: refused" in line
    line = _one_line_error(capsys, export.main, [str(path), "--output", str(tmp_path / "model.onnx")])
    assert line.startswith("fau-export: error: ") and "hostile.ckpt: refused" in line
    assert not marker.exists() and not (tmp_path / "p.csv").exists() and not (tmp_path / "model.onnx").exists()


def _text_file(path: Path) -> Path:
    path.write_text("this is not the file you are looking for\n")
    return path


def _truncated_checkpoint(path: Path) -> Path:
    torch.save({"state_dict": {"w": torch.zeros(1000)}}, path)
    path.write_bytes(path.read_bytes()[:300])
    return path


def _yaml(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "case,expected",
    [
        (
            "data key in a file",
            "--data.bach_size: SyntheticCKPlusDataModule takes no setting 'bach_size'; did you mean 'batch_size'?",
        ),
        (
            "data key as a flag",
            "--data.bach_size: SyntheticCKPlusDataModule takes no setting 'bach_size'; did you mean 'batch_size'?",
        ),
        ("model key", "--model.lrr: ExpressionClassifier takes no setting 'lrr'; did you mean 'lr'?"),
        ("trainer key", "--trainer.max_epoch: the trainer takes no setting 'max_epoch'; did you mean 'max_epochs'?"),
        ("YAML syntax", "{tmp}/bad.yaml: not valid YAML at line 3, column 11: expected ',' or ']', but got ':'"),
        ("no data", "--data: no dataset given; add its config, e.g. --config configs/synthetic.yaml"),
    ],
)
def test_a_config_that_cannot_be_read_is_one_line_naming_the_key_or_the_file_and_line(
    case: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = {
        "data key in a file": [
            "--config",
            SYNTHETIC,
            "--config",
            _yaml(tmp_path / "t.yaml", "data:\n  init_args:\n    bach_size: 32\n"),
        ],
        "data key as a flag": ["--config", SYNTHETIC, "--data.bach_size=32"],
        "model key": ["--config", SYNTHETIC, "--model.lrr=0.1"],
        "trainer key": [
            "--config",
            SYNTHETIC,
            "--config",
            _yaml(tmp_path / "trainer.yaml", "trainer:\n  max_epoch: 3\n"),
        ],
        "YAML syntax": [
            "--config",
            SYNTHETIC,
            "--config",
            _yaml(tmp_path / "bad.yaml", "model:\n  lr: [0.1\n  momentum: 0.9\n"),
        ],
        "no data": [],
    }[case]
    line = _one_line_error(capsys, train.main, ["fit", *args, "--trainer.logger=false"])
    assert line.startswith("fau-train: error: ") and expected.format(tmp=tmp_path) in line
