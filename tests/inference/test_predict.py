"""`fau-predict` end to end: real photographs (full frame and cropped), a video, folders without
faces, whole-image mode, JSON lines, annotated copies and the notes a user must see.
"""

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from fau_lightning.cli import predict
from fau_lightning.datasets.real_photos import real_photographs
from fau_lightning.inference.model_record import MODEL_RECORD_KEY
from fau_lightning.tasks import read_checkpoint

# Face centre and side in pixels, read by eye (as in tests/datasets/test_haar_real_photos.py).
FACES = {"grace_hopper": ((266, 222), 235), "astronaut": ((223, 114), 97)}
CLASSES = ["neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _probability_sums(rows: list[dict]) -> np.ndarray:
    return np.array([sum(float(row[name]) for name in CLASSES) for row in rows])


def _near(row: dict, centre: tuple[float, float], side: float) -> bool:
    x0, y0, x1, y1 = (int(row[k]) for k in ("x0", "y0", "x1", "y1"))
    off = np.hypot((x0 + x1) / 2 - centre[0], (y0 + y1) / 2 - centre[1])
    return off < 0.15 * side and 0.75 < (x1 - x0) / side < 1.33


def _cropped_photos(folder: Path) -> dict[str, tuple[Path, tuple[float, float], float]]:
    """Each photograph cut to its face with a margin of 40 % of the face's side on every side."""
    folder.mkdir()
    out = {}
    for name, path in real_photographs().items():
        (cx, cy), side = FACES[name]
        half = int(side * 0.9)
        image = cv2.imread(str(path))
        top, left = max(cy - half, 0), max(cx - half, 0)
        cv2.imwrite(str(folder / f"{name}.png"), image[top : cy + half, left : cx + half])
        out[name] = (folder / f"{name}.png", (cx - left, cy - top), side)
    return out


def test_finds_the_face_in_real_photographs_full_frame_and_cropped(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    photos = real_photographs()
    assert set(photos) == set(FACES)  # scikit-image is a test extra
    cropped = _cropped_photos(tmp_path / "cropped")
    output = tmp_path / "predictions.csv"
    predict.main([str(tiny_checkpoint), *map(str, photos.values()), str(tmp_path / "cropped"), "--output", str(output)])
    rows = _rows(output)
    assert list(rows[0]) == [*predict.FRAME_COLUMNS, "predicted", *CLASSES]
    assert len(rows) == 4 and all(row["status"] == "face" and row["face"] == "0" for row in rows)
    by_input = {row["input"]: row for row in rows}
    for name, path in photos.items():
        assert _near(by_input[path.name], *FACES[name]), by_input[path.name]
    for name, (_, centre, side) in cropped.items():
        assert _near(by_input[f"cropped/{name}.png"], centre, side), by_input[f"cropped/{name}.png"]
    assert np.allclose(_probability_sums(rows), 1, atol=1e-4)
    assert all(row["predicted"] in CLASSES for row in rows)
    captured = capsys.readouterr()
    assert "built-in synthetic faces" in captured.err  # the model was trained on drawn faces
    assert "4 face(s) classified" in captured.out


def _write_video(path: Path, frames: int) -> None:
    photo = cv2.imread(str(real_photographs()["astronaut"]))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (512, 512))
    for i in range(frames):
        writer.write(np.roll(photo, 4 * i, axis=1))  # the face moves 4 pixels a frame
    writer.release()


def test_a_video_is_read_frame_by_frame(tiny_checkpoint: Path, tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    _write_video(video, 6)
    every_frame, every_other = tmp_path / "all.csv", tmp_path / "some.jsonl"
    predict.main([str(tiny_checkpoint), str(video), "--output", str(every_frame)])
    rows = _rows(every_frame)
    assert [row["frame"] for row in rows] == [str(i) for i in range(6)]
    assert all(row["status"] == "face" for row in rows)
    x0 = [int(row["x0"]) for row in rows]
    assert 12 <= x0[-1] - x0[0] <= 28  # the box follows the face (20 pixels over five frames)
    predict.main([str(tiny_checkpoint), str(video), "--every", "2", "--format", "jsonl", "--output", str(every_other)])
    lines = [json.loads(line) for line in every_other.read_text().splitlines()]
    assert [line["frame"] for line in lines] == [0, 2, 4] and lines[0]["input"] == "clip.avi"
    assert abs(sum(lines[0][name] for name in CLASSES) - 1) < 1e-4


def test_a_folder_without_faces_gives_no_face_rows(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "walls" / "inner"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(folder / f"wall{i}.png"), np.full((120, 160), 40 * i + 60, np.uint8))
    cv2.imwrite(str(folder.parent / "noise.jpg"), rng.integers(0, 255, (90, 90), dtype=np.uint8))
    (folder / "broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("skipped: not an image")
    output = tmp_path / "rows.csv"
    predict.main(
        [str(tiny_checkpoint), str(tmp_path / "walls"), "--output", str(output), "--annotate", str(tmp_path / "seen")]
    )
    rows = _rows(output)
    assert len(rows) == 5
    assert {row["input"]: row["status"] for row in rows} == {
        "walls/inner/broken.png": "unreadable",
        "walls/inner/wall0.png": "no face",
        "walls/inner/wall1.png": "no face",
        "walls/inner/wall2.png": "no face",
        "walls/noise.jpg": "no face",
    }
    assert all(row["predicted"] == "" and row["x0"] == "" for row in rows)
    assert (tmp_path / "seen" / "walls" / "inner" / "wall0.png").exists()  # copies keep the folder layout
    assert "0 face(s) classified; 4 image(s) or frame(s) without a face; 1 unreadable" in capsys.readouterr().out


def test_no_detect_classifies_the_whole_image_and_annotate_draws_the_box(tiny_checkpoint: Path, tmp_path: Path) -> None:
    photo = real_photographs()["grace_hopper"]
    output = tmp_path / "whole.csv"
    predict.main(
        [str(tiny_checkpoint), str(photo), "--no-detect", "--output", str(output), "--annotate", str(tmp_path / "a")]
    )
    (row,) = _rows(output)
    assert row["status"] == "whole image" and (row["x0"], row["y0"], row["x1"], row["y1"]) == ("0", "0", "512", "600")
    annotated = cv2.imread(str(tmp_path / "a" / "grace_hopper.jpg"))
    original = cv2.imread(str(photo))
    assert annotated.shape == original.shape and not np.array_equal(annotated, original)


def test_an_older_checkpoint_names_the_flag_it_needs(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    checkpoint = read_checkpoint(tiny_checkpoint)
    del checkpoint[MODEL_RECORD_KEY]
    old = tmp_path / "old.ckpt"
    torch.save(checkpoint, old)
    photo = str(real_photographs()["astronaut"])
    with pytest.raises(SystemExit) as stopped:
        predict.main([str(old), photo, "--output", str(tmp_path / "p.csv")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "old.ckpt" in err[0] and "--image_size" in err[0]
    predict.main([str(old), photo, "--image_size", "32", "--output", str(tmp_path / "p.csv")])
    assert _rows(tmp_path / "p.csv")[0]["status"] == "face"
    assert "does not record what it was trained on" in capsys.readouterr().err


def test_a_missing_input_is_one_line(tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        predict.main([str(tiny_checkpoint), str(tmp_path / "nowhere.jpg"), "--output", str(tmp_path / "p.csv")])
    assert capsys.readouterr().err.strip() == f"fau-predict: error: {tmp_path / 'nowhere.jpg'}: no such file or folder"
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_asking_for_a_gpu_that_is_not_there_is_one_line(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    photo = str(real_photographs()["astronaut"])
    with pytest.raises(SystemExit):
        predict.main([str(tiny_checkpoint), photo, "--device", "cuda", "--output", str(tmp_path / "p.csv")])
    assert capsys.readouterr().err.strip() == "fau-predict: error: --device: cuda asked for, but no CUDA GPU is visible"
