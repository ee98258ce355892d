"""Your own images, one folder per class: `root/<class>/*.png|jpg`, with CK+'s face cropping and cache.

If `root` holds `train/`, `val/` and `test/`, each with the same class folders, those are the splits.
Otherwise each class is split at random (seeded, stratified) into `val_fraction` and `test_fraction`
and the rest for training. Note that a random split can put images of one person on both sides;
give the three folders yourself to keep people apart.
"""

import os
from pathlib import Path

import numpy as np

from fau_lightning.data.ck_plus import IMAGE_SUFFIXES, CKImage, CKLayout
from fau_lightning.data.face_crop import CropMethod, CropSettings
from fau_lightning.data.face_datamodule import FaceDataModule, Pipeline
from fau_lightning.data.preprocess import FaceSet, load_or_build

SPLIT_FOLDERS = ("train", "val", "test")


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _class_images(folder: Path, classes: list[str]) -> list[tuple[Path, int]]:
    items = []
    for index, name in enumerate(classes):
        class_dir = folder / name
        if not class_dir.is_dir():
            raise FileNotFoundError(f"{folder}: class folder {name}/ is missing (every split needs the same classes)")
        images = [p for p in _visible(class_dir) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        if not images:
            raise ValueError(f"{class_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
        items += [(p, index) for p in images]
    return items


def list_image_folder(root: str | os.PathLike) -> tuple[list[str], list[tuple[Path, int]], np.ndarray | None]:
    """(class names, (path, class index) for every image, the split of each image or None)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist or is not a folder")
    if all((root / s).is_dir() for s in SPLIT_FOLDERS):
        classes = [p.name for p in _visible(root / "train") if p.is_dir()]
        per_split = {s: _class_images(root / s, classes) for s in SPLIT_FOLDERS}
        items = [item for s in SPLIT_FOLDERS for item in per_split[s]]
        split = np.array([s for s in SPLIT_FOLDERS for _ in per_split[s]])
        return classes, items, split
    classes = [p.name for p in _visible(root) if p.is_dir()]
    if len(classes) < 2:
        raise ValueError(f"{root}: expected one folder per class (at least two), found {classes}")
    return classes, _class_images(root, classes), None


def stratified_split(labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int) -> np.ndarray:
    """'train' / 'val' / 'test' per item: per class, a seeded shuffle, then test, val, train shares."""
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(f"val_fraction + test_fraction must be below 1, got {val_fraction} + {test_fraction}")
    rng = np.random.default_rng(seed)
    split = np.full(len(labels), "train", dtype=object)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test, n_val = round(test_fraction * len(members)), round(val_fraction * len(members))
        split[members[:n_test]] = "test"
        split[members[n_test : n_test + n_val]] = "val"
    return split.astype(str)


class ImageFolderDataModule(FaceDataModule):
    """Folder-per-class images, face-cropped (Haar, as the paper, or none) and cached like CK+.

    Args:
        haar_min_size: smallest face the detector accepts, as a share of the image's short side.
            The paper's 0.5 suits CK+-like framing; lower it for photographs with smaller faces.
    """

    def __init__(
        self,
        root: str = "data/my_faces",
        face_crop: CropMethod = "haar",
        image_size: int = 96,
        haar_min_size: float = 0.5,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        split_seed: int = 0,
        cache_dir: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        augment: bool = False,
        pipeline: Pipeline = "workers",
    ) -> None:
        super().__init__(batch_size, num_workers, augment, pipeline)
        if face_crop == "landmarks":
            raise ValueError("face_crop='landmarks' needs landmark files; folder datasets have none (use haar or none)")
        self.save_hyperparameters()
        self.crop = CropSettings(method=face_crop, size=image_size, haar_min_size=haar_min_size)
        self.classes, self.items, self.given_split = list_image_folder(root)
        self.faces: FaceSet | None = None

    @property
    def class_names(self) -> list[str]:
        return self.classes

    def setup(self, stage: str | None = None) -> None:
        if self.faces is None:
            root = Path(self.hparams.root)
            # The shared preprocessing reads a CK+-style layout; here `emotion` holds the class index.
            images = [CKImage(path, subject=path.parent.name, sequence="", emotion=label) for path, label in self.items]
            layout = CKLayout(root, images, subjects=[], label_files=[])
            cache_dir = self.hparams.cache_dir or root / ".fau_cache"
            self.faces, _ = load_or_build(layout, self.crop, cache_dir, extra={"dataset": "image_folder"})
        split = self.given_split
        if split is None:
            labels = np.array([label for _, label in self.items])
            split = stratified_split(labels, self.hparams.val_fraction, self.hparams.test_fraction, self.hparams.split_seed)
        # Splits are drawn over every listed image, so one unreadable file does not reshuffle the rest.
        split_of = {str(path.relative_to(self.hparams.root)): s for (path, _), s in zip(self.items, split, strict=True)}
        image_split = np.array([split_of[source] for source in self.faces.source])
        self.set_splits({s: (self.faces.images[image_split == s], self.faces.emotion[image_split == s]) for s in SPLIT_FOLDERS})
