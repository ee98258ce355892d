from pathlib import Path

import numpy as np
import pytest

from fau_lightning.datamodules import ImageFolderDataModule
from fau_lightning.readers.image_folder import stratified_split
from tests.helpers.image_folder_files import write_folder


def test_classes_images_and_stratified_split(tmp_path: Path) -> None:
    write_folder(tmp_path / "faces", {"happy": 20, "angry": 10, "sad": 30})
    (tmp_path / "faces" / ".hidden").mkdir()
    dm = ImageFolderDataModule(
        str(tmp_path / "faces"), face_crop="none", image_size=24, val_fraction=0.2, test_fraction=0.1
    )
    dm.setup()
    assert dm.class_names == ["angry", "happy", "sad"] and dm.num_classes == 3
    counts = {s: np.bincount(dm.datasets[s].targets.numpy(), minlength=3).tolist() for s in ("train", "val", "test")}
    assert counts == {"train": [7, 14, 21], "val": [2, 4, 6], "test": [1, 2, 3]}
    image, _ = dm.datasets["train"][0]
    assert image.shape == (1, 24, 24)
    again = ImageFolderDataModule(
        str(tmp_path / "faces"), face_crop="none", image_size=24, val_fraction=0.2, test_fraction=0.1
    )
    again.setup()
    assert np.array_equal(
        again.datasets["test"].images.numpy(), dm.datasets["test"].images.numpy()
    )  # same seed, same split


def test_split_depends_on_the_seed_only() -> None:
    labels = np.repeat([0, 1], 50)
    a, b, c = (stratified_split(labels, 0.2, 0.2, seed) for seed in (0, 0, 1))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    with pytest.raises(ValueError, match="below 1"):
        stratified_split(labels, 0.5, 0.5, 0)


def test_given_train_val_test_folders_are_the_split(tmp_path: Path) -> None:
    for split, n in (("train", 6), ("val", 2), ("test", 3)):
        write_folder(tmp_path / "faces" / split, {"a": n, "b": n}, suffix=".jpg")
    dm = ImageFolderDataModule(str(tmp_path / "faces"), face_crop="none", image_size=16)
    dm.setup()
    assert {s: len(dm.datasets[s]) for s in ("train", "val", "test")} == {"train": 12, "val": 4, "test": 6}


def test_unreadable_image_is_skipped_and_listed(tmp_path: Path) -> None:
    write_folder(tmp_path / "faces", {"a": 5, "b": 5})
    (tmp_path / "faces" / "a" / "img001.png").write_bytes(b"broken")
    dm = ImageFolderDataModule(
        str(tmp_path / "faces"), face_crop="none", image_size=16, val_fraction=0, test_fraction=0
    )
    with pytest.warns(UserWarning, match="skipped"):
        dm.setup()
    assert len(dm.datasets["train"]) == 9


def test_haar_miss_keeps_the_image(tmp_path: Path) -> None:
    write_folder(tmp_path / "faces", {"a": 3, "b": 3})
    dm = ImageFolderDataModule(
        str(tmp_path / "faces"), face_crop="haar", image_size=16, val_fraction=0, test_fraction=0
    )
    with pytest.warns(UserWarning, match="without a detected face"):
        dm.setup()
    assert len(dm.datasets["train"]) == 6 and not dm.records.face_found.any()


@pytest.mark.parametrize(
    "make,error,message",
    [
        (lambda root: None, FileNotFoundError, "does not exist"),
        (lambda root: write_folder(root, {"only": 3}), ValueError, "at least two"),
        (lambda root: (write_folder(root, {"a": 2}), (root / "b").mkdir()), ValueError, "b: no images"),
    ],
)
def test_bad_folders_name_the_path(tmp_path: Path, make, error: type, message: str) -> None:
    root = tmp_path / "faces"
    make(root)
    with pytest.raises(error, match=message):
        ImageFolderDataModule(str(root), face_crop="none")


def test_landmark_crop_is_refused(tmp_path: Path) -> None:
    write_folder(tmp_path / "faces", {"a": 2, "b": 2})
    with pytest.raises(ValueError, match="landmark files"):
        ImageFolderDataModule(str(tmp_path / "faces"), face_crop="landmarks")
