"""`fau-export`: ONNX with a dynamic batch and TorchScript, each checked against PyTorch here (not by
the command's own check), and the model card beside them.
"""

import json
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
import pytest
import torch

from fau_lightning.cli import export
from fau_lightning.models import WithProbabilities
from fau_lightning.tasks import load_task


def _pytorch_probabilities(checkpoint: Path, images: np.ndarray) -> np.ndarray:
    network = WithProbabilities(load_task(checkpoint).model, multi_label=False).eval()
    with torch.no_grad():
        return network(torch.from_numpy(images)).numpy()


@pytest.mark.parametrize("batch", [1, 3, 16])
def test_onnx_export_matches_pytorch_at_any_batch_size(tiny_checkpoint: Path, tmp_path: Path, batch: int) -> None:
    path = tmp_path / "model.onnx"
    export.main([str(tiny_checkpoint), "--output", str(path)])
    images = np.random.default_rng(batch).random((batch, 1, 32, 32), dtype=np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {"images": images})
    assert output.shape == (batch, 8)
    assert np.abs(output - _pytorch_probabilities(tiny_checkpoint, images)).max() <= 1e-4
    assert np.allclose(output.sum(axis=1), 1, atol=1e-5)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".ts"])
def test_the_suffix_chooses_torchscript(tiny_checkpoint: Path, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"model{suffix}"
    export.main([str(tiny_checkpoint), "--output", str(path)])  # no --format: the suffix says it
    images = np.random.default_rng(0).random((5, 1, 32, 32), dtype=np.float32)
    with torch.no_grad():
        output = torch.jit.load(str(path))(torch.from_numpy(images)).numpy()
    assert np.abs(output - _pytorch_probabilities(tiny_checkpoint, images)).max() <= 1e-4
    assert json.loads(path.with_name(f"model{suffix}.card.json").read_text())["format"] == "torchscript"


CONTRADICTS = "--format {asked}: contradicts --output {path}, whose suffix means {implied}"
NO_FORMAT = "--output {path}: its suffix names no format (.onnx, .pt, .pth, .ts); give --format onnx or torchscript"


@pytest.mark.parametrize(
    ("name", "flags", "message"),
    [
        ("model.pt", ["--format", "onnx"], CONTRADICTS.replace("{asked}", "onnx").replace("{implied}", "torchscript")),
        (
            "model.onnx",
            ["--format=torchscript"],
            CONTRADICTS.replace("{asked}", "torchscript").replace("{implied}", "onnx"),
        ),
        ("model.bin", [], NO_FORMAT),
    ],
)
def test_a_format_the_suffix_contradicts_is_one_line(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture, name: str, flags: list[str], message: str
) -> None:
    path = tmp_path / name
    with pytest.raises(SystemExit) as stopped:
        export.main([str(tiny_checkpoint), "--output", str(path), *flags])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip() == "fau-export: error: " + message.format(path=path)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_unknown_suffix_with_a_format_is_written(tiny_checkpoint: Path, tmp_path: Path) -> None:
    export.main([str(tiny_checkpoint), "--output", str(tmp_path / "model.bin"), "--format", "onnx"])
    session = onnxruntime.InferenceSession(str(tmp_path / "model.bin"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].name == "images"


def test_the_model_card_says_what_the_model_is(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "model.onnx"
    export.main([str(tiny_checkpoint), "--output", str(path)])
    card = json.loads((tmp_path / "model.onnx.card.json").read_text())
    assert card["class_names"][0] == "neutral" and len(card["class_names"]) == 8
    assert card["input"]["shape"] == ["batch", 1, 32, 32] and card["output"]["shape"] == ["batch", 8]
    assert "uint8 / 255" in card["preprocessing"]["inside_the_model"]
    assert card["training_face_crop"] == {"method": "landmarks", "landmark_margin": 0.15}  # only what applied
    steps = {step["step"]: step for step in card["preprocessing"]["steps"]}
    assert list(steps) == ["read", "grayscale", "detect", "square", "cut", "resize", "scale", "batch"]
    assert steps["detect"]["cascade"] == "haarcascade_frontalface_default.xml"
    assert (steps["detect"]["scale_factor"], steps["detect"]["min_neighbors"], steps["detect"]["min_face_share"]) == (
        1.1, 5, 0.08,
    )  # fmt: skip
    assert steps["cut"]["border"] == "BORDER_REPLICATE" and steps["resize"]["interpolation"] == "INTER_AREA"
    assert card["preprocessing"]["opencv_major"] == int(cv2.__version__.split(".")[0])
    assert card["training_data"]["synthetic"] is True and card["seed"] == 0 and card["package_version"]
    assert card["test"]["split"] == "held-out subjects" and "test/acc" in card["test"]["metrics"]
    assert card["architecture"]["widths"] == [8, 16, 32]
    assert 0 <= card["parity_max_abs_difference"] <= 1e-4
    assert any("synthetic faces" in warning for warning in card["warnings"])
    markdown = (tmp_path / "model.onnx.card.md").read_text()
    assert "**Warning:**" in markdown and "| test/acc |" in markdown and "neutral, anger" in markdown
    assert "interpolation: `INTER_AREA`" in markdown and "haarcascade_frontalface_default.xml" in markdown
    assert "built-in synthetic faces" in capsys.readouterr().err
