"""Faults and hostile files, each one line and exit 2 with nothing left behind: a checkpoint that
names a module to import, files that are no checkpoint, output paths that cannot be written, a
damaged last.ckpt, settings the config parser rejects, an input folder with nothing to read; and
what must simply work: two CSV-logged fits started together, files with a UTF-8 byte-order mark.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from fau_lightning.cli import analyze, export, predict, train
from fau_lightning.readers.ck_plus import read_emotion
from fau_lightning.readers.fer2013 import read_fer2013
from fau_lightning.readers.real_photos import sample_photographs
from tests.helpers.ck_plus_files import float_line
from tests.helpers.fer2013_files import row
from tests.helpers.tiny import REPO, csv_logger_args, tiny_args

SYNTHETIC = str(REPO / "configs" / "synthetic.yaml")


def one_line(capsys: pytest.CaptureFixture, main, args: list[str]) -> str:
    """Run a command that must fail on its input: exit 2, one line on stderr, no traceback."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and "Traceback" not in "\n".join(err) and "usage:" not in "\n".join(err)
    return err[-1]


def photo() -> str:
    return str(next(iter(sample_photographs().values())))


def test_a_checkpoint_cannot_choose_a_module_to_import(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "planted_module.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Task: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    original = torch.load(tiny_checkpoint, weights_only=True)
    names = {
        "fau_task": lambda c: c.__setitem__("fau_task", "planted_module.Task"),
        "_class_path": lambda c: c["hyper_parameters"].__setitem__("_class_path", "planted_module.Task"),
        "_instantiator": lambda c: c["hyper_parameters"].__setitem__("_instantiator", "planted_module.Task"),
    }
    for key, plant in names.items():
        checkpoint = torch.load(tiny_checkpoint, weights_only=True)
        plant(checkpoint)
        path = tmp_path / f"{key.strip('_')}.ckpt"
        torch.save(checkpoint, path)
        commands = {
            analyze.main: [str(path), "--output", str(tmp_path / "report")],
            predict.main: [str(path), photo(), "--output", str(tmp_path / "p.csv")],
            export.main: [str(path), "--output", str(tmp_path / "m.onnx")],
            train.main: ["test", "--config", SYNTHETIC, f"--ckpt_path={path}", "--trainer.logger=false"],
        }
        for main, args in commands.items():
            line = one_line(capsys, main, args)
            assert str(path) in line and "planted_module.Task" in line, (key, line)
    assert not marker.exists() and "planted_module" not in sys.modules
    assert not any((tmp_path / name).exists() for name in ("report", "p.csv", "m.onnx"))
    assert original["fau_task"].startswith("fau_lightning.tasks")


def test_files_that_are_no_checkpoint_are_called_so(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "image.ckpt").write_bytes(cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes())
    (tmp_path / "data.ckpt").write_bytes(b"MATLAB 5.0 MAT-file, Platform: GLNXA64" + bytes(100))
    (tmp_path / "noise.ckpt").write_bytes(np.random.default_rng(0).bytes(500))
    for name, says in (("image", "it is a PNG image"), ("data", "it is a MATLAB file"), ("noise", "neither a zip")):
        line = one_line(capsys, analyze.main, [str(tmp_path / f"{name}.ckpt")])
        assert line.startswith(f"fau-analyze: error: {tmp_path / name}.ckpt: not a PyTorch checkpoint (")
        assert says in line
        assert "weights_only" not in line and "could run code" not in line


def test_a_checkpoint_holding_objects_is_refused_without_torchs_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "objects.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"x": Path("p")}}, path)
    line = one_line(capsys, analyze.main, [str(path)])
    assert "objects.ckpt: refused" in line and "weights_only" not in line and "two options" not in line


def test_output_paths_are_checked_before_any_work(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    folder = tmp_path / "a_folder"
    folder.mkdir()
    for main, flag, args, name in (
        (predict.main, "--output", [str(tiny_checkpoint), photo()], "out.csv"),
        (export.main, "--output", [str(tiny_checkpoint)], "model.onnx"),
    ):
        line = one_line(capsys, main, [*args, flag, str(a_file / name)])
        assert f"{flag} {a_file / name}: {a_file} is a file, not a folder" in line
        line = one_line(capsys, main, [*args, flag, str(folder)])
        assert f"{flag} {folder}: is a folder; give a file name" in line
    assert list(folder.iterdir()) == [] and a_file.read_text() == ""
    test = ["test", "--config", SYNTHETIC, f"--ckpt_path={tiny_checkpoint}", "--trainer.logger=false"]
    line = one_line(capsys, train.main, [*test, f"--results_json={a_file / 'r.json'}"])
    assert f"--results_json {a_file / 'r.json'}: {a_file} is a file, not a folder" in line


def test_results_json_into_a_missing_folder_is_written(
    tiny_checkpoint: Path, tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    target = tmp_path / "new" / "folder" / "result.json"
    args = tiny_args(tiny_synthetic_root, tmp_path, f"--ckpt_path={tiny_checkpoint}", "--trainer.logger=false")
    train.main(["test", *args, f"--results_json={target}"])
    assert json.loads(target.read_text())["metrics"]["test/acc"] >= 0


def test_a_damaged_last_checkpoint_is_one_line(
    tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    (checkpoints / "last.ckpt").write_bytes(b"PK\x03\x04" + bytes(40))  # a zip header and nothing else
    args = tiny_args(tiny_synthetic_root, tmp_path, "--trainer.logger=false", f"--checkpoint_dir={checkpoints}")
    line = one_line(capsys, train.main, ["fit", *args, "--ckpt_path=last"])
    assert f"{checkpoints / 'last.ckpt'}: not a readable PyTorch checkpoint" in line


@pytest.mark.parametrize(
    "setting,expected",
    [
        ("--data.face_crop=foo", "--data.face_crop: expected one of 'haar', 'landmarks', 'none', got foo"),
        ("--trainer.max_epochs=abc", "--trainer.max_epochs: expected int or null, got abc"),
        ("--config=missing.yaml", "--config: File does not exist:"),
    ],
)
def test_settings_the_config_parser_rejects_are_one_line(
    setting: str, expected: str, capsys: pytest.CaptureFixture
) -> None:
    line = one_line(capsys, train.main, ["fit", "--config", SYNTHETIC, setting])
    assert line.startswith(f"fau-train: error: {expected}")


def test_nothing_to_predict_is_an_error(tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no images here")
    for folder in ("empty", "notes"):
        out = tmp_path / f"{folder}.csv"
        line = one_line(capsys, predict.main, [str(tiny_checkpoint), str(tmp_path / folder), "--output", str(out)])
        assert f"{tmp_path / folder}: no image or video file found" in line and not out.exists()


def test_two_csv_logged_fits_started_together_keep_apart(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    args = tiny_args(tiny_synthetic_root, tmp_path, *csv_logger_args(tmp_path), "--trainer.max_epochs=1")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "fau_lightning", "fit", *args, "--test_after_fit=false"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err.decode()[-2000:]
    versions = sorted(p.name for p in (tmp_path / "lightning_logs").glob("version_*"))
    assert versions == ["version_0", "version_1"]
    for version in versions:
        assert (tmp_path / "lightning_logs" / version / "metrics.csv").is_file()


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    fer = tmp_path / "fer2013.csv"
    fer.write_text("emotion,pixels,Usage\n" + row(3) + row(4, "PublicTest"), encoding="utf-8-sig")
    assert fer.read_bytes().startswith(b"\xef\xbb\xbf")
    records = read_fer2013(fer)
    assert records.label.tolist() == [3, 4]
    emotion = tmp_path / "S005_001_00000011_emotion.txt"
    emotion.write_text(float_line(5), encoding="utf-8-sig")
    assert read_emotion(emotion) == 5
