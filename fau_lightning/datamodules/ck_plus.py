"""LightningDataModules for CK+ and for the built-in synthetic set in CK+ format."""

import os
from dataclasses import asdict, replace
from pathlib import Path
from typing import Literal

import numpy as np

from fau_lightning.datamodules.base import FaceDataModule
from fau_lightning.errors import SettingError
from fau_lightning.facs import ACTION_UNITS
from fau_lightning.readers.cache import load_or_build
from fau_lightning.readers.ck_plus import read_layout
from fau_lightning.readers.face_crop import CropMethod, CropSettings
from fau_lightning.readers.folds import split_names
from fau_lightning.readers.labels import get_label_set
from fau_lightning.readers.records import FaceRecords
from fau_lightning.synthetic.dataset import FurtherPeople, SyntheticConfig, generate

Targets = Literal["emotion", "aus"]


class CKPlusDataModule(FaceDataModule):
    """CK+ with the paper's protocol: 10 subject-independent folds, first + last N frames per sequence.

    Args:
        root: the CK+ folder (holding cohn-kanade-images/, Emotion/, FACS/, Landmarks/).
        label_set: "ck8" (all eight codes) or "ck6" (the six basic emotions).
        fold: test fold k; validation is fold (k+1) mod num_folds, training the rest.
        num_folds: subject-independent folds (subject i of the sorted subject folders is in fold i mod n).
        last_frames: peak frames taken from the end of each sequence (with its first, neutral frame).
        image_size: side of the square face crop fed to the network (the paper: 96).
        face_crop: "haar" (the paper's detector), "landmarks" (box around the 68 points) or "none".
        haar_min_size: smallest face Haar accepts, as a share of the short side (the paper's 0.5).
        cache_dir: where preprocessed sets are cached; defaults to <root>/.fau_cache.
        targets: "emotion" (one class per image, the paper's task) or "aus" (multi-label FACS action
            units, for `AUDetector`): every FACS-coded image, neutral frames with no AU.
        au_targets: the AUs detected with targets="aus"; default: the 17 AUs with a known facial region.
        shuffle_train_labels: permute the training targets across images (a fixed permutation), so
            the network can learn nothing true about them: a negative control for the FAU analysis.
        **kwargs: batch_size, num_workers, augment, pipeline (FaceDataModule).
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
        targets: Targets = "emotion",
        au_targets: list[int] | None = None,
        shuffle_train_labels: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not 0 <= fold < num_folds:
            raise SettingError(f"fold: must be in 0..{num_folds - 1} for {num_folds} folds, got {fold}")
        if targets not in ("emotion", "aus"):
            raise SettingError(f"targets: must be 'emotion' or 'aus', got {targets!r}")
        self.save_hyperparameters()
        self.hparams.root = str(root)  # a Path would make checkpoints unloadable with weights_only=True
        self.label_set = get_label_set(label_set)
        self.au_targets = list(au_targets) if au_targets is not None else sorted(ACTION_UNITS)
        self.crop = CropSettings(method=face_crop, size=image_size, haar_min_size=haar_min_size)

    @property
    def class_names(self) -> list[str]:
        if self.hparams.targets == "aus":
            return [f"AU{au}" for au in self.au_targets]
        return self.label_set.class_names

    @property
    def test_split_name(self) -> str:
        return "held-out subjects"

    @property
    def num_splits(self) -> int:
        return self.hparams.num_folds

    def _cache_dir(self) -> Path:
        return Path(self.hparams.cache_dir) if self.hparams.cache_dir else Path(self.hparams.root) / ".fau_cache"

    def prepare_data(self) -> None:
        """Preprocess once on rank zero; every rank then loads the cache in setup()."""
        self.load_records()

    def read_records(self) -> FaceRecords:
        layout = read_layout(self.hparams.root, self.hparams.last_frames)
        return load_or_build(layout, self.crop, self._cache_dir(), extra={"last_frames": self.hparams.last_frames})[0]

    def _stages(self, records: FaceRecords, labelled_only: bool) -> np.ndarray:
        """Subject folds over the images of the label set, or over every FACS-coded image."""
        keep = self.label_set.encode(records.label)[0] if labelled_only else np.ones(len(records), bool)
        stage_of = np.full(len(records), "", dtype=object)
        hp = self.hparams
        stage_of[keep] = split_names(records.subject[keep], records.all_subjects, hp.fold, hp.num_folds)
        return stage_of.astype(str)

    def stages(self, records: FaceRecords) -> np.ndarray:
        return self._stages(records, labelled_only=self.hparams.targets == "emotion")

    def targets(self, records: FaceRecords) -> np.ndarray:
        if self.hparams.targets == "aus":
            columns = [list(records.au_codes).index(au) if au in records.au_codes else -1 for au in self.au_targets]
            present = np.concatenate([records.au_present, np.zeros((len(records), 1), bool)], axis=1)  # -1: never
            target_of = present[:, columns].astype(np.float32)
        else:
            keep, classes = self.label_set.encode(records.label)
            target_of = np.full(len(records), -1)
            target_of[keep] = classes
        if self.hparams.shuffle_train_labels:
            train = np.flatnonzero(self.stages(records) == "train")
            target_of[train] = target_of[train][np.random.default_rng(0).permutation(len(train))]
        return target_of

    def analysis_splits(self, records: FaceRecords) -> np.ndarray:
        """Every FACS-coded image of a split's subjects, with emotion label or without."""
        return self._stages(records, labelled_only=False)


class SyntheticCKPlusDataModule(CKPlusDataModule):
    """The built-in procedural FACS faces, generated into `root` on first use, read as CK+.

    Every other argument is CKPlusDataModule's; only the defaults of `root` and `face_crop` differ.

    Args:
        root: where the set is generated (and found again on later runs).
        synthetic: the generator's settings (`--data.synthetic.num_subjects 60`, ...).
        face_crop: "landmarks" (the set's own 68 points), "haar" or "none".
        evidence_subjects: further people of the same population (the subjects after `synthetic`'s),
            whom no fold trains on, added to the held-out evidence of the FAU verdict. Generated once
            and cached as the analysis reads them (faces at image_size, labels, landmarks).
        evidence_draw: which of those people: 0 (the default) takes the `evidence_subjects` people right
            after the set's own; k takes the k-th next block of as many, disjoint from every other draw,
            so a verdict can be judged again on people no one ever tuned anything on.
        **kwargs: every other CKPlusDataModule argument.
    """

    def __init__(
        self,
        root: str = "data/synthetic_ck_plus",
        synthetic: SyntheticConfig = SyntheticConfig(),
        face_crop: CropMethod = "landmarks",
        evidence_subjects: int = 0,
        evidence_draw: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(root=root, face_crop=face_crop, **kwargs)
        if evidence_subjects < 0:
            raise SettingError(f"evidence_subjects: must be 0 or more, got {evidence_subjects}")
        if evidence_draw < 0:
            raise SettingError(f"evidence_draw: must be 0 or more, got {evidence_draw}")
        self.synthetic = synthetic
        self.hparams.synthetic = asdict(synthetic)  # plain values, so checkpoints load with weights_only=True
        self.evidence_subjects = self.hparams.evidence_subjects = evidence_subjects
        self.evidence_draw = self.hparams.evidence_draw = evidence_draw

    @property
    def synthetic_faces(self) -> bool:
        return True

    def read_records(self) -> FaceRecords:
        generate(self.hparams.root, self.synthetic, workers=os.cpu_count() or 1)
        return super().read_records()

    def further_people(self) -> FurtherPeople | None:
        """The `evidence_draw`-th block of `evidence_subjects` people after the set's own, read with this
        data's crop and folds.
        """
        if not self.evidence_subjects:
            return None
        first = self.synthetic.first_subject + self.synthetic.num_subjects + self.evidence_draw * self.evidence_subjects
        people = replace(self.synthetic, first_subject=first, num_subjects=self.evidence_subjects)
        folds = {k: self.hparams[k] for k in ("last_frames", "fold", "num_folds")}
        return FurtherPeople(people=people, crop=self.crop, cache_dir=str(self._cache_dir()), **folds)
