"""`fau-train predict`: predictions written to the run folder, and a folder's classes matched to the
checkpoint's by name.
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from fau_lightning.cli import train
from fau_lightning.cli.train import run_cli
from tests.helpers.image_folder_files import write_folder
from tests.helpers.tiny import REPO, csv_logger_args, tiny_args

CHECKPOINT_CLASSES = ["neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"]
TINY_NETWORK = ["--model.widths=[8, 16, 32]", "--model.hidden_units=16", "--trainer.enable_progress_bar=false"]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("split", ["test", "all"])
def test_predictions_go_to_a_csv_in_the_run_folder(
    tiny_checkpoint: Path, tiny_synthetic_root: Path, tmp_path: Path, split: str
) -> None:
    args = tiny_args(tiny_synthetic_root, tmp_path, *csv_logger_args(tmp_path))
    cli = run_cli(["predict", *args, f"--ckpt_path={tiny_checkpoint}", f"--data.predict_split={split}"])
    rows = _rows(Path(cli.trainer.logger.log_dir) / "predictions.csv")
    datamodule = cli.datamodule
    expected = len(datamodule.datasets["test"]) if split == "test" else len(datamodule.records)
    assert len(rows) == expected
    assert [row["source"] for row in rows] == list(datamodule.predict_sources)
    assert list(rows[0]) == ["source", "split", "true", "predicted", *CHECKPOINT_CLASSES]
    assert np.allclose([sum(float(row[c]) for c in CHECKPOINT_CLASSES) for row in rows], 1, atol=1e-4)
    targets = datamodule.predict_dataset.targets.tolist()
    assert [row["true"] for row in rows] == [CHECKPOINT_CLASSES[t] if t >= 0 else "" for t in targets]
    probabilities = np.array([[float(row[c]) for c in CHECKPOINT_CLASSES] for row in rows])
    written = np.array([CHECKPOINT_CLASSES.index(row["predicted"]) for row in rows])
    assert (written == probabilities.argmax(axis=1)).all()
    if split == "test":  # the same images, in the same order, as the loop's own predictions
        returned = np.concatenate([p.numpy() for p in cli.trainer.predict_loop.predictions])
        assert np.allclose(returned, probabilities, atol=1e-5)


def _folder_args(root: Path, tmp_path: Path) -> list[str]:
    return [
        "--config",
        str(REPO / "configs" / "image_folder.yaml"),
        *csv_logger_args(tmp_path),
        f"--data.root={root}",
        "--data.face_crop=none",
        "--data.image_size=32",
        f"--data.cache_dir={tmp_path / 'cache'}",
        "--data.predict_split=all",
        *TINY_NETWORK,
    ]


def test_a_folders_classes_are_put_in_the_checkpoints_order(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "faces"
    write_folder(root, {name: 2 for name in CHECKPOINT_CLASSES})  # alphabetical: anger, contempt, disgust, ...
    cli = run_cli(["predict", *_folder_args(root, tmp_path), f"--ckpt_path={tiny_checkpoint}"])
    assert cli.datamodule.class_names == CHECKPOINT_CLASSES and cli.model.class_names == CHECKPOINT_CLASSES
    rows = _rows(Path(cli.trainer.logger.log_dir) / "predictions.csv")
    assert len(rows) == 16
    assert all(row["true"] == Path(row["source"]).parent.name for row in rows)  # labels follow the names
    assert "built-in synthetic faces" in capsys.readouterr().err  # a synthetic model meets other images


def test_a_folder_with_other_classes_stops_with_both_lists(
    tiny_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "pets"
    write_folder(root, {"cat": 2, "dog": 2})
    with pytest.raises(SystemExit) as stopped:
        train.main(["predict", *_folder_args(root, tmp_path), f"--ckpt_path={tiny_checkpoint}"])
    assert stopped.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("fau-train: error: ") and "['cat', 'dog']" in line and "'neutral', 'anger'" in line
