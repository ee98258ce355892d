"""`fau-predict` end to end: real photographs (full frame and cropped), inputs named as given and kept
apart, a video (rows with times, an annotated video), folders without faces, whole-image mode, JSON
lines, formats OpenCV reads, and the notes a user must see.
"""

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from fau_lightning.checkpoint import read_checkpoint
from fau_lightning.checkpoint.record import MODEL_RECORD_KEY
from fau_lightning.cli import predict
from fau_lightning.readers.real_photos import sample_photographs

# Face centre and side in pixels, read by eye (as in tests/readers/test_haar_real_photos.py).
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
    for name, path in sample_photographs().items():
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
    photos = sample_photographs()
    assert set(photos) == set(FACES)  # scikit-image is a test extra
    cropped = _cropped_photos(tmp_path / "cropped")
    output = tmp_path / "predictions.csv"
    predict.main([str(tiny_checkpoint), *map(str, photos.values()), str(tmp_path / "cropped"), "--output", str(output)])
    rows = _rows(output)
    assert list(rows[0]) == [*predict.ROW_COLUMNS, *CLASSES]
    assert len(rows) == 4 and all(row["status"] == "face" and row["face"] == "0" for row in rows)
    by_input = {row["input"]: row for row in rows}
    for name, path in photos.items():
        assert _near(by_input[str(path)], *FACES[name]), by_input[str(path)]
    for name, (path, centre, side) in cropped.items():
        assert _near(by_input[str(path)], centre, side), by_input[str(path)]
    assert np.allclose(_probability_sums(rows), 1, atol=1e-4)
    assert all(row["predicted"] in CLASSES for row in rows)
    captured = capsys.readouterr()
    assert "built-in synthetic faces" in captured.err  # the model was trained on drawn faces
    assert "read 4 image(s) and 0 video frame(s); 4 face(s) classified" in captured.out


def test_same_named_files_stay_apart_in_rows_and_annotated_copies(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs are named as given (relative stays relative); copies mirror that path, so nothing is overwritten."""
    work = tmp_path / "work"
    photos = sample_photographs()
    for folder, name in (("dup/a", "grace_hopper"), ("dup/b", "astronaut"), ("subjects/s1", "grace_hopper")):
        (work / folder).mkdir(parents=True)
        shutil.copy(photos[name], work / folder / "photo.jpg")
    (work / "subjects/s2").mkdir()
    shutil.copy(photos["astronaut"], work / "subjects/s2/photo.jpg")
    outside = tmp_path / "outside.jpg"
    shutil.copy(photos["astronaut"], outside)
    monkeypatch.chdir(work)
    given = ["dup/a/photo.jpg", "dup/b/photo.jpg", "subjects/s1/photo.jpg", "subjects/s2/photo.jpg", "../outside.jpg"]
    predict.main([str(tiny_checkpoint), *given, str(outside), "--output", "out.csv", "--annotate", "seen"])
    rows = _rows(work / "out.csv")
    assert [row["input"] for row in rows] == [*given, str(outside)]
    assert rows[0]["predicted"] and rows[0]["x0"] != rows[1]["x0"]  # two different photographs
    copies = sorted(str(p.relative_to(work / "seen")) for p in (work / "seen").rglob("*") if p.is_file())
    expected = [*given[:4], "_up/outside.jpg", str(outside.relative_to("/"))]
    assert copies == sorted(expected)
    first, second = (cv2.imread(str(work / "seen" / g)) for g in given[:2])
    assert first.shape != second.shape  # each copy is its own photograph


def test_folders_keep_the_folder_as_given(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "photos" / "inner").mkdir(parents=True)
    shutil.copy(sample_photographs()["astronaut"], tmp_path / "photos" / "inner" / "a.png")
    monkeypatch.chdir(tmp_path)
    predict.main([str(tiny_checkpoint), "photos/", "--output", "rows.csv"])
    assert [row["input"] for row in _rows(tmp_path / "rows.csv")] == ["photos/inner/a.png"]


def _write_video(path: Path, frames: int, fps: float = 5) -> None:
    photo = cv2.imread(str(sample_photographs()["astronaut"]))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (512, 512))
    for i in range(frames):
        writer.write(np.roll(photo, 4 * i, axis=1))  # the face moves 4 pixels a frame
    writer.release()


def _video_frames(path: Path) -> tuple[int, float]:
    video = cv2.VideoCapture(str(path))
    count = 0
    while video.grab():
        count += 1
    return count, video.get(cv2.CAP_PROP_FPS)


def test_a_video_is_read_frame_by_frame(tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    video = tmp_path / "clip.avi"
    _write_video(video, 6)
    every_frame, every_other = tmp_path / "all.csv", tmp_path / "some.jsonl"
    predict.main([str(tiny_checkpoint), str(video), "--output", str(every_frame)])
    rows = _rows(every_frame)
    assert [row["frame"] for row in rows] == [str(i) for i in range(6)]
    assert [float(row["time_s"]) for row in rows] == [i / 5 for i in range(6)]
    assert all(row["status"] == "face" for row in rows)
    x0 = [int(row["x0"]) for row in rows]
    assert 12 <= x0[-1] - x0[0] <= 28  # the box follows the face (20 pixels over five frames)
    assert "read 0 image(s) and 6 video frame(s); 6 face(s) classified; 0 image(s) or frame(s) without a face" in (
        capsys.readouterr().out
    )
    predict.main([str(tiny_checkpoint), str(video), "--every", "2", "--format", "jsonl", "--output", str(every_other)])
    lines = [json.loads(line) for line in every_other.read_text().splitlines()]
    assert [line["frame"] for line in lines] == [0, 2, 4] and lines[0]["input"] == str(video)
    assert set(lines[0]["probabilities"]) == set(CLASSES)  # nested: a class can be called "status"
    assert abs(sum(lines[0]["probabilities"].values()) - 1) < 1e-4
    assert lines[0]["predicted"] == max(lines[0]["probabilities"], key=lines[0]["probabilities"].get)


@pytest.mark.parametrize("suffix", [".avi", ".mp4"])
def test_annotating_a_video_writes_a_video(tiny_checkpoint: Path, tmp_path: Path, suffix: str) -> None:
    video = tmp_path / f"clip{suffix}"
    _write_video(video.with_suffix(".avi"), 8, fps=10)
    if suffix == ".mp4":  # re-encode as MPEG-4, as phones and cameras hand over
        source = cv2.VideoCapture(str(video.with_suffix(".avi")))
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (512, 512))
        while (frame := source.read())[0]:
            writer.write(frame[1])
        writer.release()
    seen = tmp_path / "seen"
    predict.main([str(tiny_checkpoint), str(video), "--output", str(tmp_path / "rows.csv"), "--annotate", str(seen)])
    copy = seen / video.relative_to("/")
    assert _video_frames(copy) == (8, 10.0)  # every frame, same rate
    assert [p.name for p in copy.parent.iterdir()] == [copy.name]  # no PNG per frame unless asked
    predict.main(
        [str(tiny_checkpoint), str(video), "--output", str(tmp_path / "rows.csv"), "--annotate", str(seen),
         "--every", "4", "--annotate_frames"]
    )  # fmt: skip
    assert _video_frames(copy) == (2, 2.5)  # frames 0 and 4: the copy plays at the original speed
    assert sorted(p.name for p in copy.parent.glob("*.png")) == ["clip_frame000000.png", "clip_frame000004.png"]


def test_a_folder_without_faces_gives_no_face_rows(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "walls" / "inner"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(folder / f"wall{i}.png"), np.full((120, 160), 40 * i + 60, np.uint8))
    cv2.imwrite(str(folder.parent / "noise.jpg"), rng.integers(0, 255, (90, 90), dtype=np.uint8))
    (folder / "broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("skipped: not an image")
    monkeypatch.chdir(tmp_path)
    predict.main([str(tiny_checkpoint), "walls", "--output", "rows.csv", "--annotate", "seen"])
    rows = _rows(tmp_path / "rows.csv")
    assert {row["input"]: row["status"] for row in rows} == {
        "walls/inner/broken.png": "unreadable",
        "walls/inner/wall0.png": "no face",
        "walls/inner/wall1.png": "no face",
        "walls/inner/wall2.png": "no face",
        "walls/noise.jpg": "no face",
    }
    assert all(row["predicted"] == "" and row["x0"] == "" for row in rows)
    assert (tmp_path / "seen" / "walls" / "inner" / "wall0.png").exists()  # copies keep the folder layout
    out = capsys.readouterr().out
    assert "read 4 image(s) and 0 video frame(s); 0 face(s) classified" in out
    assert "4 image(s) or frame(s) without a face; 1 unreadable" in out


def test_any_image_opencv_reads_is_accepted(tiny_checkpoint: Path, tmp_path: Path) -> None:
    photo = cv2.imread(str(sample_photographs()["astronaut"]))
    cv2.imwrite(str(tmp_path / "astronaut.webp"), photo)
    unnamed = tmp_path / "astronaut_webp_without_suffix"  # named explicitly: OpenCV knows it by its bytes
    shutil.copy(tmp_path / "astronaut.webp", unnamed)
    output = tmp_path / "rows.csv"
    predict.main([str(tiny_checkpoint), str(tmp_path / "astronaut.webp"), str(unnamed), "--output", str(output)])
    assert [row["status"] for row in _rows(output)] == ["face", "face"]


@pytest.mark.parametrize("pad", [False, True])
def test_no_detect_cuts_the_centred_square(tiny_checkpoint: Path, tmp_path: Path, pad: bool) -> None:
    photo = sample_photographs()["grace_hopper"]  # 512 wide, 600 high
    output = tmp_path / "whole.csv"
    predict.main(
        [str(tiny_checkpoint), str(photo), "--no-detect", *(["--pad"] if pad else []), "--output", str(output),
         "--annotate", str(tmp_path / "a")]
    )  # fmt: skip
    (row,) = _rows(output)
    box = tuple(int(row[k]) for k in ("x0", "y0", "x1", "y1"))
    assert row["status"] == "whole image" and box == ((-44, 0, 556, 600) if pad else (0, 44, 512, 556))
    annotated = cv2.imread(str(tmp_path / "a" / photo.relative_to("/")))
    original = cv2.imread(str(photo))
    assert annotated.shape == original.shape and not np.array_equal(annotated, original)


def test_pad_needs_no_detect(tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stopped:
        predict.main([str(tiny_checkpoint), str(sample_photographs()["astronaut"]), "--pad"])
    assert stopped.value.code == 2 and "--pad: applies only with --no_detect" in capsys.readouterr().err


def test_help_shows_defaults_and_one_flag_style(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        predict.main(["--help"])
    text = capsys.readouterr().out
    assert "--min_face MIN_FACE" in text and "(default: 0.08)" in text and "(default: csv)" in text
    assert "--min-face" not in text and "--no_detect" in text  # one spelling shown, underscores as in fau-train
    args = predict.parse_args(["ck.pt", "x.jpg", "--min-face", "0.2", "--no-detect", "--batch-size=8"])
    assert (args.min_face, args.no_detect, args.batch_size) == (0.2, True, 8)  # the other spelling is an alias


def test_an_older_checkpoint_names_the_flag_it_needs(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    checkpoint = read_checkpoint(tiny_checkpoint)
    del checkpoint[MODEL_RECORD_KEY]
    old = tmp_path / "old.ckpt"
    torch.save(checkpoint, old)
    photo = str(sample_photographs()["astronaut"])
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
    photo = str(sample_photographs()["astronaut"])
    with pytest.raises(SystemExit):
        predict.main([str(tiny_checkpoint), photo, "--device", "cuda", "--output", str(tmp_path / "p.csv")])
    assert capsys.readouterr().err.strip() == "fau-predict: error: --device: cuda asked for, but no CUDA GPU is visible"


def test_no_output_is_written_over_an_input_and_no_two_inputs_share_a_copy(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Each of these ran before (the photo replaced by its copy or by the CSV; two inputs, one copy)."""
    work = tmp_path / "work"
    (work / "photos").mkdir(parents=True)
    (work / "_up" / "x").mkdir(parents=True)
    (tmp_path / "x").mkdir()
    photo = work / "photos" / "a.jpg"
    shutil.copy(sample_photographs()["astronaut"], photo)
    shutil.copy(photo, work / "_up" / "x" / "b.jpg")
    shutil.copy(photo, tmp_path / "x" / "b.jpg")
    before = photo.read_bytes()
    monkeypatch.chdir(work)
    cases = {
        "over the input photos/a.jpg": ["photos/a.jpg", "--annotate", "."],
        "is the input photos/a.jpg": ["photos/a.jpg", "--output", "photos/a.jpg"],
        "would both be copied to": ["../x/b.jpg", "_up/x/b.jpg", "--annotate", "seen"],
    }
    for said, arguments in cases.items():
        with pytest.raises(SystemExit) as stop:
            predict.main([str(tiny_checkpoint), *arguments])
        err = capsys.readouterr().err.strip().splitlines()
        assert stop.value.code == 2 and said in err[-1] and err[-1].startswith("fau-predict: error: --")
    assert photo.read_bytes() == before and not (work / "seen").exists() and not (work / "predictions.csv").exists()
