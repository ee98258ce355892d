"""The analysis's probe sets, built from any data that offers its records (outside the data modules).

A data source for the analysis (`AnalysisData`: every data module is one) offers its records at the
network's input size with the split of each, and, where it has them, further people whom no split
trains on (`FurtherPeople`, for the built-in set). From those this module builds the training subjects'
probe set, where units are chosen, and the held-out people's, where they are judged.
"""

import os
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import numpy as np

from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.errors import DatasetFormatError, SettingError
from fau_lightning.files import cache_key, remove_stale_temporaries, scratch_folder
from fau_lightning.progress import Progress
from fau_lightning.readers.cache import load_or_build
from fau_lightning.readers.ck_plus import read_layout
from fau_lightning.readers.folds import split_names
from fau_lightning.readers.records import FaceRecords
from fau_lightning.synthetic.dataset import GENERATOR_VERSION, FurtherPeople, generate

SPLITS = ("train", "val", "test")


class AnalysisData(Protocol):
    def analysis_records(self) -> tuple[FaceRecords, np.ndarray]:
        """Every record at the network's input size, and the split of each ("train", "val", "test", "")."""

    def further_people(self) -> FurtherPeople | None:
        """People beyond the protocol's subjects whom no split trains on (None: none)."""


def split_probe_set(records: FaceRecords, split_of: np.ndarray, split: str) -> ProbeSet:
    """One split as the analysis reads it. FACS-coded records: every image of the split's subjects, with
    emotion label or without, its AUs, landmarks and sequence (the unlabelled sequences matter: their AUs
    do not travel in emotion prototypes, which lets the analysis tell co-occurring AUs apart). Records
    without AU codes: the images alone, each its own sequence.
    """
    chosen = np.flatnonzero(split_of == split)
    if not len(records.au_codes):
        return ProbeSet.unlabelled(records.images[chosen])
    recording = np.char.add(np.char.add(records.subject, "/"), records.sequence)
    _, sequence = np.unique(recording, return_inverse=True)
    first = np.ones(len(records), bool)  # the neutral frame: each sequence's first file by name
    order = np.lexsort((records.source, sequence))
    first[order[1:]] = sequence[order[1:]] != sequence[order[:-1]]
    return ProbeSet(
        images=records.images[chosen],
        au_codes=records.au_codes.tolist(),
        au_present=records.au_present[chosen],
        landmarks=records.landmarks[chosen],
        sequence=sequence[chosen],
        emotion=records.label[chosen],
        apex=~first[chosen],
        subject=records.subject[chosen],
    )


def every_split(records: FaceRecords, split_of: np.ndarray) -> ProbeSet:
    """All the people a data source splits, as one probe set (train, then val, then test)."""
    return ProbeSet.concatenate([split_probe_set(records, split_of, split) for split in SPLITS])


def analysis_probes(data: AnalysisData, progress: Progress | None = None) -> tuple[ProbeSet, ProbeSet]:
    """(selection, evidence) for the FAU verdict: the training subjects' probe set and the held-out
    people's (validation and test splits, then the further people, made or read from their cache).
    """
    records, split_of = data.analysis_records()
    further = data.further_people()
    evidence = [split_probe_set(records, split_of, "val"), split_probe_set(records, split_of, "test")]
    if further is not None:
        evidence.append(further_people_probes(further, progress))
    return split_probe_set(records, split_of, "train"), ProbeSet.concatenate(evidence)


def further_people_probes(further: FurtherPeople, progress: Progress | None = None) -> ProbeSet:
    """The further people drawn by the generator and read as CK+ with the data's own crop and folds,
    every FACS-coded image of each; made once and kept in `further.cache_dir`.
    """
    settings = {"generator": GENERATOR_VERSION, **asdict(further), "cache_dir": None}
    path = Path(further.cache_dir) / f"evidence-{cache_key(settings)}.npz"
    remove_stale_temporaries(path.parent)  # the scratch folders and entries of a run that was killed
    if path.exists():
        try:
            return ProbeSet.load(path)
        except DatasetFormatError as err:
            warnings.warn(f"evidence cache entry {err}; rebuilt", stacklevel=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with scratch_folder(path.with_suffix("")) as scratch:
        root = scratch / "faces"
        generate(root, further.people, workers=os.cpu_count() or 1, progress=progress)
        layout = read_layout(root, further.last_frames)
        frames = {"last_frames": further.last_frames}
        records = load_or_build(layout, further.crop, scratch / "cache", extra=frames)[0]
        split_of = split_names(records.subject, records.all_subjects, further.fold, further.num_folds)
        probes = every_split(records, split_of)
        probes.save(path)
    return probes


def extra_people(records: FaceRecords, split_of: np.ndarray, trained_on: set[str], source: str) -> ProbeSet:
    """Another data source's people as further evidence, refused where they cannot be or were trained on.

    Raises:
        SettingError: the data has no FACS codes, no subject names, or people in `trained_on`.
    """
    if not len(records.au_codes):
        raise SettingError(f"{source}: its data has no FACS AU codes, so it cannot be evidence", "extra_evidence")
    if not len(records) or (records.subject == "").any():
        raise SettingError(
            f"{source}: its data does not name the person of every image, so nobody can check that the "
            "network never trained on them",
            "extra_evidence",
        )
    shared = trained_on & set(records.subject.tolist())
    if shared:
        raise SettingError(
            f"{source}: its data holds {len(shared)} training subject(s), e.g. {sorted(shared)[:3]}; "
            "evidence must be people the network never saw",
            "extra_evidence",
        )
    return every_split(records, split_of)
