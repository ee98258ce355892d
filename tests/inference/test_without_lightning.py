"""Prediction and export need no training stack: fau-predict, fau-export and ExpressionModel run with
pytorch_lightning, torchmetrics and matplotlib made unimportable, and give what they give with them.
"""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from fau_lightning import ExpressionModel
from fau_lightning.readers.real_photos import sample_photographs
from tests.helpers.tiny import REPO

BLOCKING = """
import importlib.abc, sys
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("pytorch_lightning", "lightning", "torchmetrics", "matplotlib"):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, Blocked())
"""

WITHOUT_LIGHTNING = (
    BLOCKING
    + """
import json
from fau_lightning import ExpressionModel
from fau_lightning.cli import export, predict
checkpoint, photo, rows, onnx, answer = sys.argv[1:]
predict.main([checkpoint, photo, "--output", rows])
export.main([checkpoint, "--output", onnx])
rows_ = ExpressionModel.from_checkpoint(checkpoint).predict(photo)
loaded = [m for m in sys.modules if m.split(".")[0] in ("pytorch_lightning", "torchmetrics", "matplotlib")]
json.dump({"probabilities": [r["probabilities"] for r in rows_], "loaded": loaded}, open(answer, "w"))
"""
)


def test_predict_export_and_the_api_run_without_lightning(tiny_checkpoint: Path, tmp_path: Path) -> None:
    photo = str(sample_photographs()["astronaut"])
    rows, onnx, answer = tmp_path / "rows.csv", tmp_path / "model.onnx", tmp_path / "answer.json"
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_LIGHTNING, str(tiny_checkpoint), photo, str(rows), str(onnx), str(answer)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    said = json.loads(answer.read_text())
    assert said["loaded"] == []
    import pytorch_lightning  # noqa: F401  the same model with Lightning loaded, as before

    with_lightning = ExpressionModel.from_checkpoint(tiny_checkpoint).predict(photo)
    assert len(said["probabilities"]) == len(with_lightning) == 1
    expected = with_lightning[0]["probabilities"]
    assert np.allclose([said["probabilities"][0][k] for k in expected], list(expected.values()), atol=1e-6)
    assert [r["status"] for r in csv.DictReader(rows.open())] == ["face"] and onnx.stat().st_size > 1000


def test_the_blocker_blocks() -> None:
    run = subprocess.run(
        [sys.executable, "-c", BLOCKING + "import pytorch_lightning"], cwd=REPO, capture_output=True, text=True
    )
    assert run.returncode != 0 and "blocked in this test" in run.stderr


def test_library_errors_name_parameters_and_commands_name_flags(tiny_checkpoint: Path, capsys) -> None:  # noqa: ANN001
    import pytest

    from fau_lightning.cli import predict
    from fau_lightning.errors import SettingError

    with pytest.raises(SettingError, match=r"^device: 'gpu0' is not a device"):
        ExpressionModel.from_checkpoint(tiny_checkpoint, device="gpu0")
    with pytest.raises(SystemExit):
        predict.main([str(tiny_checkpoint), str(sample_photographs()["astronaut"]), "--device", "gpu0"])
    assert "fau-predict: error: --device: 'gpu0' is not a device" in capsys.readouterr().err
