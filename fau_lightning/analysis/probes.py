"""What analysis needs from a dataset besides images: AU labels, landmarks and how images were sampled."""

import os
from dataclasses import dataclass

import numpy as np

from fau_lightning.errors import DatasetFormatError, InputError
from fau_lightning.files import load_checked, save_checked

PROBE_ARRAYS = ("images", "au_present", "landmarks", "sequence", "emotion", "apex", "subject")
NO_EMOTION = -1  # emotion code of images whose sequence has FACS codes but no emotion label


@dataclass(frozen=True)
class ProbeSet:
    """Images with their FACS labels, and the sequence each one was taken from.

    CK+ gives several near-identical frames per sequence (a neutral first frame, coded peak frames),
    so statistics that treat images as independent draws overstate their evidence; `sequence` and
    `apex` let analysis shuffle and count whole sequences instead.
    """

    images: np.ndarray  # uint8 (N, S, S), as the network sees them (before normalisation)
    au_codes: list[int]  # the AUs that columns of au_present stand for; empty: no AU labels
    au_present: np.ndarray  # bool (N, U)
    landmarks: np.ndarray  # float32 (N, 68, 2) in image pixels; NaN where unknown
    sequence: np.ndarray  # int64 (N,) the recording each image comes from; frames of one sequence share it
    emotion: np.ndarray  # int64 (N,) emotion code of the image: 0 neutral, 1..7, NO_EMOTION unlabelled
    apex: np.ndarray  # bool (N,) a coded peak frame (False: the sequence's neutral first frame)
    subject: np.ndarray  # str (N,) the person each image shows

    @staticmethod
    def unlabelled(images: np.ndarray) -> "ProbeSet":
        """Images without AUs or landmarks, each its own sequence (folder, TFD and FER data)."""
        n = len(images)
        return ProbeSet(
            images=images,
            au_codes=[],
            au_present=np.zeros((n, 0), bool),
            landmarks=np.full((n, 68, 2), np.nan, np.float32),
            sequence=np.arange(n),
            emotion=np.full(n, NO_EMOTION),
            apex=np.ones(n, bool),
            subject=np.arange(n).astype(str),
        )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def has_aus(self) -> bool:
        return len(self.au_codes) > 0 and bool(self.au_present.any())

    def subset(self, keep: np.ndarray) -> "ProbeSet":
        """The images selected by a boolean mask or index array, in that order."""
        arrays = {name: getattr(self, name)[keep] for name in PROBE_ARRAYS}
        return ProbeSet(au_codes=self.au_codes, **arrays)

    def sample(self, max_images: int, seed: int = 0) -> "ProbeSet":
        """Whole sequences drawn at random until at most max_images images are taken (all, in order, if fewer)."""
        if len(self) <= max_images:
            return self
        sequences, sizes = np.unique(self.sequence, return_counts=True)
        order = np.random.default_rng(seed).permutation(len(sequences))
        taken = order[np.cumsum(sizes[order]) <= max_images]
        return self.subset(np.flatnonzero(np.isin(self.sequence, sequences[taken])))

    @staticmethod
    def concatenate(parts: list["ProbeSet"]) -> "ProbeSet":
        """One probe set from several coding the same AUs, in any column order (matched by AU code, in
        the first part's order); sequence ids are kept apart.

        Raises:
            InputError: the parts code different sets of AUs.
        """
        codes = parts[0].au_codes
        for part in parts[1:]:
            if sorted(part.au_codes) != sorted(codes):
                raise InputError(f"the probe sets code different AUs: {sorted(codes)} and {sorted(part.au_codes)}")
        offsets = np.cumsum([0] + [int(p.sequence.max()) + 1 if len(p) else 0 for p in parts[:-1]])
        columns = [[p.au_codes.index(code) for code in codes] for p in parts]
        return ProbeSet(
            images=np.concatenate([p.images for p in parts]),
            au_codes=codes,
            au_present=np.concatenate([p.au_present[:, c] for p, c in zip(parts, columns, strict=True)]),
            landmarks=np.concatenate([p.landmarks for p in parts]),
            sequence=np.concatenate([p.sequence + o for p, o in zip(parts, offsets, strict=True)]),
            emotion=np.concatenate([p.emotion for p in parts]),
            apex=np.concatenate([p.apex for p in parts]),
            subject=np.concatenate([p.subject for p in parts]),
        )

    @property
    def people(self) -> int:
        """How many different people the images show."""
        return len(np.unique(self.subject))

    @property
    def sequences(self) -> int:
        """How many recordings the images come from."""
        return len(np.unique(self.sequence))

    def save(self, path: str | os.PathLike) -> None:
        """Write every field to one .npz file with a checksum, atomically (a killed write leaves no file)."""
        arrays = {name: getattr(self, name) for name in PROBE_ARRAYS}
        save_checked(path, {"au_codes": np.array(self.au_codes, np.int64), **arrays})

    @staticmethod
    def load(path: str | os.PathLike) -> "ProbeSet":
        """A probe set written by `save`.

        Raises:
            DatasetFormatError: the file is unreadable, lacks a field or does not match its checksum.
        """
        arrays, problem = load_checked(path)
        missing = [name for name in ("au_codes", *PROBE_ARRAYS) if arrays is not None and name not in arrays]
        if arrays is None or missing:
            raise DatasetFormatError(f"{path}: {problem or 'lacks ' + ', '.join(missing)}")
        return ProbeSet(au_codes=arrays["au_codes"].tolist(), **{name: arrays[name] for name in PROBE_ARRAYS})
