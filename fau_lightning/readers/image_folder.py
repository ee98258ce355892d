"""Your own images, one folder per class: `root/<class>/*.png|jpg`, with CK+'s face cropping and cache.

If `root` holds `train/`, `val/` and `test/`, each with the same class folders, those are the splits.
Otherwise each class is split at random (seeded, stratified) into `val_fraction` and `test_fraction`
and the rest for training. Note that a random split can put images of one person on both sides;
give the three folders yourself to keep people apart.
"""

import os
from pathlib import Path

import numpy as np

from fau_lightning.errors import DatasetFormatError, SettingError
from fau_lightning.readers.records import IMAGE_SUFFIXES, FileList, ImageFile

SPLIT_FOLDERS = ("train", "val", "test")


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _class_images(folder: Path, classes: list[str], split: tuple[str, ...] = ()) -> list[ImageFile]:
    items = []
    for index, name in enumerate(classes):
        class_dir = folder / name
        if not class_dir.is_dir():
            raise DatasetFormatError(f"{folder}: class folder {name}/ is missing (every split needs the same classes)")
        images = [p for p in _visible(class_dir) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        if not images:
            raise DatasetFormatError(f"{class_dir}: no images (.png, .jpg, .webp or another format OpenCV reads)")
        items += [ImageFile(p, index, partition=split) for p in images]
    return items


def list_image_folder(root: str | os.PathLike) -> tuple[list[str], FileList]:
    """(class names, every image with its class index as label and, where the folder gives splits, its split).

    Subjects are unknown: a folder says nothing about who is in each image.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist or is not a folder")
    if all((root / s).is_dir() for s in SPLIT_FOLDERS):
        classes = [p.name for p in _visible(root / "train") if p.is_dir()]
        items = [item for s in SPLIT_FOLDERS for item in _class_images(root / s, classes, (s,))]
        return classes, FileList(root, items, subjects=[], label_files=[])
    classes = [p.name for p in _visible(root) if p.is_dir()]
    if len(classes) < 2:
        raise DatasetFormatError(f"{root}: expected one folder per class (at least two), found {classes}")
    return classes, FileList(root, _class_images(root, classes), subjects=[], label_files=[])


def stratified_split(labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int) -> np.ndarray:
    """'train' / 'val' / 'test' per item: per class, a seeded shuffle, then test, val, train shares."""
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise SettingError(
            f"val_fraction, test_fraction: each in [0, 1) and together below 1, got {val_fraction} + {test_fraction}"
        )
    rng = np.random.default_rng(seed)
    split = np.full(len(labels), "train", dtype=object)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test, n_val = round(test_fraction * len(members)), round(val_fraction * len(members))
        split[members[:n_test]] = "test"
        split[members[n_test : n_test + n_val]] = "val"
    return split.astype(str)
