"""The acceptance test of the model card: an ONNX export and its card's JSON, followed with numpy,
OpenCV and onnxruntime alone (`scripts/predict_with_card.py`, run as its own process, which checks
that fau_lightning was never imported), give `fau-predict`'s boxes and probabilities within 1e-4 on
real photographs: the two bundled portraits and a picture holding both faces.
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.cli import export, predict
from fau_lightning.readers.real_photos import sample_photographs
from tests.helpers.tiny import REPO


def _two_faces(path: Path) -> Path:
    """Both portraits side by side at one height: two faces, left to right."""
    hopper, astronaut = (
        cv2.imread(str(p)) for p in (sample_photographs()["grace_hopper"], sample_photographs()["astronaut"])
    )
    astronaut = cv2.resize(astronaut, (hopper.shape[0], hopper.shape[0]), interpolation=cv2.INTER_LINEAR)
    cv2.imwrite(str(path), np.hstack([astronaut, hopper]))
    return path


def test_the_onnx_model_and_its_card_alone_reproduce_fau_predict(tiny_checkpoint: Path, tmp_path: Path) -> None:
    photos = [*map(str, sample_photographs().values()), str(_two_faces(tmp_path / "two_faces.png"))]
    model = tmp_path / "model.onnx"
    export.main([str(tiny_checkpoint), "--output", str(model)])
    predict.main([str(tiny_checkpoint), *photos, "--format", "jsonl", "--output", str(tmp_path / "rows.jsonl")])
    ours = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]

    script = REPO / "scripts" / "predict_with_card.py"
    done = subprocess.run(
        [sys.executable, str(script), str(model), *photos], capture_output=True, text=True, check=True
    )
    theirs = [json.loads(line) for line in done.stdout.splitlines()]

    assert [row["input"] for row in ours] == [row["input"] for row in theirs] == [*photos[:2], photos[2], photos[2]]
    for mine, card_only in zip(ours, theirs, strict=True):
        assert [mine[k] for k in ("x0", "y0", "x1", "y1")] == card_only["box"] and mine["face"] == card_only["face"]
        names = list(mine["probabilities"])
        difference = np.abs(np.array([mine["probabilities"][n] - card_only["probabilities"][n] for n in names]))
        assert difference.max() <= 1e-4, (mine["input"], difference.max())
        assert mine["predicted"] == card_only["predicted"]


def test_a_card_with_the_wrong_interpolation_would_not_match(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """The match above is not loose: OpenCV's default resize (INTER_LINEAR) in the card moves the numbers."""
    photo = str(sample_photographs()["grace_hopper"])
    model = tmp_path / "model.onnx"
    export.main([str(tiny_checkpoint), "--output", str(model)])
    card_path = tmp_path / "model.onnx.card.json"
    script = REPO / "scripts" / "predict_with_card.py"

    def probabilities() -> np.ndarray:
        done = subprocess.run(
            [sys.executable, str(script), str(model), photo], capture_output=True, text=True, check=True
        )
        return np.array(list(json.loads(done.stdout.splitlines()[0])["probabilities"].values()))

    right = probabilities()
    card = json.loads(card_path.read_text())
    next(s for s in card["preprocessing"]["steps"] if s["step"] == "resize")["interpolation"] = "INTER_LINEAR"
    card_path.write_text(json.dumps(resealed(card)))
    assert np.abs(probabilities() - right).max() > 1e-4  # outside the tolerance above, even for this tiny network


def resealed(card: dict) -> dict:
    """An edited card given a checksum of its new content, by the rule the card script checks."""
    card.pop("card_sha256")
    return {
        **card,
        "card_sha256": hashlib.sha256(json.dumps(card, sort_keys=True, separators=(",", ":")).encode()).hexdigest(),
    }


def test_an_edited_card_or_one_beside_another_model_is_refused(tiny_checkpoint: Path, tmp_path: Path) -> None:
    photo = str(sample_photographs()["grace_hopper"])
    model = tmp_path / "model.onnx"
    export.main([str(tiny_checkpoint), "--output", str(model)])
    card_path = tmp_path / "model.onnx.card.json"
    written = card_path.read_text()
    script = REPO / "scripts" / "predict_with_card.py"

    def error_line() -> str:
        done = subprocess.run([sys.executable, str(script), str(model), photo], capture_output=True, text=True)
        assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
        return done.stderr.strip()

    for edit in ("reversed classes", "a class dropped", "other interpolation"):
        card = json.loads(written)
        if edit == "other interpolation":
            next(s for s in card["preprocessing"]["steps"] if s["step"] == "resize")["interpolation"] = "INTER_LINEAR"
        else:
            card["class_names"] = card["class_names"][::-1] if edit == "reversed classes" else card["class_names"][1:]
        card_path.write_text(json.dumps(card, indent=2))
        assert error_line() == (
            f"predict_with_card: error: {card_path}: changed since fau-export wrote it (its checksum differs);"
            " export the model again"
        ), edit
    card_path.write_text(written)
    model.write_bytes(model.read_bytes() + b"\0")  # another model (here: the same, one byte longer)
    assert "written for another model file than" in error_line()
