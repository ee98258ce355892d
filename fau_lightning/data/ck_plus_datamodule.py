"""LightningDataModules for CK+ and for the built-in synthetic set in CK+ format."""

import os
from pathlib import Path

import numpy as np

from fau_lightning.data.ck_plus import read_layout
from fau_lightning.data.face_crop import CropMethod, CropSettings
from fau_lightning.data.face_datamodule import FaceDataModule, Pipeline
from fau_lightning.data.folds import split_masks
from fau_lightning.data.labels import get_label_set
from fau_lightning.data.preprocess import FaceSet, load_or_build
from fau_lightning.data.probe import ProbeSet
from fau_lightning.data.synthetic import SyntheticConfig, generate


class CKPlusDataModule(FaceDataModule):
    """CK+ with the paper's protocol: 10 subject-independent folds, first + last N frames per sequence.

    Args:
        root: the CK+ folder (holding cohn-kanade-images/, Emotion/, FACS/, Landmarks/).
        label_set: "ck8" (all eight codes) or "ck6" (the six basic emotions).
        fold: test fold k; validation is fold (k+1) mod num_folds, training the rest.
        face_crop: "haar" (the paper's detector), "landmarks" (box around the 68 points) or "none".
        haar_min_size: smallest face Haar accepts, as a share of the short side (the paper's 0.5).
        cache_dir: where preprocessed sets are cached; defaults to <root>/.fau_cache.
    """

    def __init__(
        self,
        root: str = "data/ck_plus",
        label_set: str = "ck8",
        fold: int = 0,
        num_folds: int = 10,
        last_frames: int = 3,
        image_size: int = 96,
        face_crop: CropMethod = "haar",
        haar_min_size: float = 0.5,
        cache_dir: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        augment: bool = False,
        pipeline: Pipeline = "workers",
    ) -> None:
        super().__init__(batch_size, num_workers, augment, pipeline)
        self.save_hyperparameters()
        self.label_set = get_label_set(label_set)
        self.crop = CropSettings(method=face_crop, size=image_size, haar_min_size=haar_min_size)
        self.faces: FaceSet | None = None
        self.cache_path: Path | None = None

    @property
    def class_names(self) -> list[str]:
        return self.label_set.class_names

    @property
    def num_splits(self) -> int:
        return self.hparams.num_folds

    def _cache_dir(self) -> Path:
        return Path(self.hparams.cache_dir) if self.hparams.cache_dir else Path(self.hparams.root) / ".fau_cache"

    def prepare_data(self) -> None:
        """Preprocess once on rank zero; every rank then loads the cache in setup()."""
        self._load()

    def _load(self) -> FaceSet:
        if self.faces is None:
            layout = read_layout(self.hparams.root, self.hparams.last_frames)
            self.faces, self.cache_path = load_or_build(
                layout, self.crop, self._cache_dir(), extra={"last_frames": self.hparams.last_frames}
            )
        return self.faces

    def _split_indices(self, labelled_only: bool = True) -> dict[str, np.ndarray]:
        """Stage -> indices into the cached FaceSet: the images of the label set, or every image."""
        faces = self._load()
        keep = self.label_set.encode(faces.emotion)[0] if labelled_only else np.ones(len(faces), bool)
        kept = np.flatnonzero(keep)
        masks = split_masks(faces.subject[kept], faces.all_subjects, self.hparams.fold, self.hparams.num_folds)
        return {name: kept[mask] for name, mask in masks.items()}

    def setup(self, stage: str | None = None) -> None:
        faces = self._load()
        keep, targets = self.label_set.encode(faces.emotion)
        class_of = np.full(len(faces), -1)
        class_of[keep] = targets
        self.set_splits({name: (faces.images[idx], class_of[idx]) for name, idx in self._split_indices().items()})

    def probe_set(self, stage: str = "val") -> ProbeSet:
        """Every FACS-coded image of the split's subjects, with emotion label or without, and its AUs
        and landmarks. The unlabelled sequences matter: their AUs do not travel in emotion prototypes,
        which is what lets the analysis tell co-occurring AUs (6 and 12 in "happy") apart."""
        faces = self._load()
        idx = self._split_indices(labelled_only=False)[stage]
        return ProbeSet(faces.images[idx], faces.au_codes.tolist(), faces.au_present[idx], faces.landmarks[idx])


class SyntheticCKPlusDataModule(CKPlusDataModule):
    """The built-in procedural FACS faces, generated into `root` on first use, read as CK+.

    `synthetic` holds the generator's settings (`--data.synthetic.num_subjects 60`, ...).
    """

    def __init__(
        self,
        root: str = "data/synthetic_ck_plus",
        synthetic: SyntheticConfig = SyntheticConfig(),
        label_set: str = "ck8",
        fold: int = 0,
        num_folds: int = 10,
        last_frames: int = 3,
        image_size: int = 96,
        face_crop: CropMethod = "landmarks",
        cache_dir: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        augment: bool = False,
        pipeline: Pipeline = "workers",
    ) -> None:
        super().__init__(
            root=root,
            label_set=label_set,
            fold=fold,
            num_folds=num_folds,
            last_frames=last_frames,
            image_size=image_size,
            face_crop=face_crop,
            cache_dir=cache_dir,
            batch_size=batch_size,
            num_workers=num_workers,
            augment=augment,
            pipeline=pipeline,
        )
        self.synthetic = synthetic

    def _load(self) -> FaceSet:
        if self.faces is None:
            generate(self.hparams.root, self.synthetic, workers=os.cpu_count() or 1)
        return super()._load()
