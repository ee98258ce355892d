"""The Python API: one import, the rows `fau-predict` writes, numpy images, videos frame by frame,
the drawn-faces warning as a Python warning, and the README's example run verbatim.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from fau_lightning import DrawnFacesWarning, ExpressionModel, sample_photographs
from fau_lightning.cli import predict
from fau_lightning.errors import SettingError
from fau_lightning.inference.inputs import DamagedVideoWarning
from tests.helpers.tiny import REPO


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path) -> ExpressionModel:
    with pytest.warns(DrawnFacesWarning, match="built-in synthetic faces"):
        return ExpressionModel.from_checkpoint(tiny_checkpoint, device="cpu")


def test_the_rows_are_fau_predicts_rows(model: ExpressionModel, tiny_checkpoint: Path, tmp_path: Path) -> None:
    photos = [str(p) for p in sample_photographs().values()]
    predict.main([str(tiny_checkpoint), *photos, "--format", "jsonl", "--output", str(tmp_path / "rows.jsonl")])
    written = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert model.predict(photos) == written
    assert model.predict(photos[0]) == written[:1]  # one path, not a list
    assert written[0]["status"] == "face" and set(written[0]["probabilities"]) == set(model.class_names)


def test_a_numpy_image_gives_what_its_file_gives(model: ExpressionModel) -> None:
    photo = sample_photographs()["astronaut"]
    (from_file,) = model.predict(photo)
    colour, gray = cv2.imread(str(photo)), cv2.imread(str(photo), cv2.IMREAD_GRAYSCALE)
    from_colour, from_gray = model.predict([colour, gray])
    assert (from_colour["input"], from_gray["input"]) == ("<array 0>", "<array 1>")
    for row in (from_colour, from_gray):
        assert [row[k] for k in ("x0", "y0", "x1", "y1", "predicted")] == [
            from_file[k] for k in ("x0", "y0", "x1", "y1", "predicted")
        ]
        assert max(abs(row["probabilities"][n] - from_file["probabilities"][n]) for n in model.class_names) < 1e-5
    with pytest.raises(SettingError, match=r"<array 0>: expected a uint8 image"):
        model.predict(colour.astype(np.float32))
    for empty in (np.zeros((0, 0, 3), np.uint8), np.zeros((0, 10), np.uint8)):
        with pytest.raises(SettingError, match=r"^<array 1>: an empty image, 0 x \d+ pixels$"):
            model.predict([gray, empty])


def test_a_video_frame_by_frame(model: ExpressionModel, tmp_path: Path) -> None:
    photo = cv2.imread(str(sample_photographs()["astronaut"]))
    writer = cv2.VideoWriter(str(tmp_path / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 4, (512, 512))
    for i in range(5):
        writer.write(np.roll(photo, 3 * i, axis=1))
    writer.release()
    rows = model.predict_video(tmp_path / "clip.avi", every=2)
    assert not isinstance(rows, list)  # a generator: rows arrive as frames are classified
    assert [(row["frame"], row["time_s"], row["status"]) for row in rows] == [
        (0, 0.0, "face"),
        (2, 0.5, "face"),
        (4, 1.0, "face"),
    ]
    with pytest.raises(SettingError, match="not a video file"):
        next(model.predict_video(sample_photographs()["astronaut"]))


def test_importing_the_package_stays_light() -> None:
    """`import fau_lightning` loads neither torch nor OpenCV until the API is asked for."""
    code = "import sys, fau_lightning; assert not {'torch', 'cv2'} & set(sys.modules); fau_lightning.ExpressionModel"
    subprocess.run([sys.executable, "-c", code], check=True)


def readme_python_example() -> str:
    """The README's "In Python" code block, exactly as written there."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("### In Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_example_runs_verbatim(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """Run in a folder laid out as the main job leaves it (its W&B run's checkpoint under runs/)."""
    checkpoints = tmp_path / "runs" / "fau_lightning" / "abc123" / "checkpoints"
    checkpoints.mkdir(parents=True)
    shutil.copy(tiny_checkpoint, checkpoints / "best-step=000448.ckpt")
    done = subprocess.run(
        [sys.executable, "-c", readme_python_example()], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    printed = done.stdout.splitlines()
    assert printed[0].startswith("grace_hopper.jpg: face 0 at (") and printed[1].startswith("classes: neutral, anger")
    assert "DrawnFacesWarning" in done.stderr


def test_a_damaged_video_says_where_the_damage_begins(
    model: ExpressionModel, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    photo = cv2.resize(cv2.imread(str(sample_photographs()["astronaut"])), (128, 128))
    writer = cv2.VideoWriter(str(tmp_path / "whole.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 4, (128, 128))
    for i in range(40):
        writer.write(np.roll(photo, 3 * i, axis=1))
    writer.release()
    whole = (tmp_path / "whole.avi").read_bytes()
    (tmp_path / "cut.avi").write_bytes(whole[: len(whole) // 2])  # a copy that broke off half-way
    with pytest.warns(DamagedVideoWarning, match=r"cut.avi: video damaged after frame \d+: \d+ of the 40 frames"):
        rows = list(model.predict_video(tmp_path / "cut.avi"))
    read = [row for row in rows if row["status"] != "unreadable"]
    assert 10 < len(read) < 30 and rows[-1]["status"] == "unreadable" and rows[-1]["frame"] == len(read)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the whole video: nothing to say
        assert len(list(model.predict_video(tmp_path / "whole.avi"))) == 40
    command = [sys.executable, "-c", "from fau_lightning.cli.predict import main; main()", str(tiny_checkpoint)]
    command += [str(tmp_path / "cut.avi"), "--output", str(tmp_path / "rows.csv")]
    ran = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    err = ran.stdout + ran.stderr
    assert f"fau-predict: warning: {tmp_path / 'cut.avi'}: video damaged after frame {len(read) - 1}" in err
    assert f"read 0 image(s) and {len(read)} video frame(s)" in err and "; 1 unreadable;" in err
