"""`fau-export`: ONNX with a dynamic batch and TorchScript, each checked against PyTorch here (not by
the command's own check), and the model card beside them.
"""

import json
from pathlib import Path

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


def test_torchscript_export_matches_pytorch(tiny_checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    export.main([str(tiny_checkpoint), "--output", str(path), "--format", "torchscript"])
    images = np.random.default_rng(0).random((5, 1, 32, 32), dtype=np.float32)
    with torch.no_grad():
        output = torch.jit.load(str(path))(torch.from_numpy(images)).numpy()
    assert np.abs(output - _pytorch_probabilities(tiny_checkpoint, images)).max() <= 1e-4


def test_the_model_card_says_what_the_model_is(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "model.onnx"
    export.main([str(tiny_checkpoint), "--output", str(path)])
    card = json.loads((tmp_path / "model.onnx.card.json").read_text())
    assert card["class_names"][0] == "neutral" and len(card["class_names"]) == 8
    assert card["input"]["shape"] == ["batch", 1, 32, 32] and card["output"]["shape"] == ["batch", 8]
    assert "uint8 / 255" in card["preprocessing"]["normalisation"]
    assert card["preprocessing"]["training_face_crop"]["method"] == "landmarks"
    assert card["training_data"]["synthetic"] is True and card["seed"] == 0 and card["package_version"]
    assert card["test"]["split"] == "held-out subjects" and "test/acc" in card["test"]["metrics"]
    assert card["architecture"]["widths"] == [8, 16, 32]
    assert 0 <= card["parity_max_abs_difference"] <= 1e-4
    assert any("synthetic faces" in warning for warning in card["warnings"])
    markdown = (tmp_path / "model.onnx.card.md").read_text()
    assert "**Warning:**" in markdown and "| test/acc |" in markdown and "neutral, anger" in markdown
    assert "built-in synthetic faces" in capsys.readouterr().err
