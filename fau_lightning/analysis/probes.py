"""What analysis needs from a dataset besides images: AU labels, landmarks and how images were sampled."""

import os
from dataclasses import dataclass

import numpy as np

from fau_lightning.files import write_atomically

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
            images,
            [],
            np.zeros((n, 0), bool),
            np.full((n, 68, 2), np.nan, np.float32),
            np.arange(n),
            np.full(n, NO_EMOTION),
            np.ones(n, bool),
            np.arange(n).astype(str),
        )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def has_aus(self) -> bool:
        return len(self.au_codes) > 0 and bool(self.au_present.any())

    def subset(self, keep: np.ndarray) -> "ProbeSet":
        """The images selected by a boolean mask or index array, in that order."""
        return ProbeSet(
            self.images[keep],
            self.au_codes,
            self.au_present[keep],
            self.landmarks[keep],
            self.sequence[keep],
            self.emotion[keep],
            self.apex[keep],
            self.subject[keep],
        )

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
        """One probe set from several with the same AU columns; sequence ids are kept apart."""
        offsets = np.cumsum([0] + [int(p.sequence.max()) + 1 if len(p) else 0 for p in parts[:-1]])
        return ProbeSet(
            np.concatenate([p.images for p in parts]),
            parts[0].au_codes,
            np.concatenate([p.au_present for p in parts]),
            np.concatenate([p.landmarks for p in parts]),
            np.concatenate([p.sequence + o for p, o in zip(parts, offsets, strict=True)]),
            np.concatenate([p.emotion for p in parts]),
            np.concatenate([p.apex for p in parts]),
            np.concatenate([p.subject for p in parts]),
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
        """Write every field to one .npz file, atomically (a killed write leaves no file)."""
        arrays = {name: getattr(self, name) for name in PROBE_ARRAYS}
        write_atomically(path, lambda f: np.savez(f, au_codes=np.array(self.au_codes, np.int64), **arrays))

    @staticmethod
    def load(path: str | os.PathLike) -> "ProbeSet":
        """A probe set written by `save`."""
        with np.load(path) as data:
            return ProbeSet(au_codes=data["au_codes"].tolist(), **{name: data[name] for name in PROBE_ARRAYS})
