"""Decode, crop and cache a dataset's image files once; later runs load the cache in a second.

The cache file is keyed by every preprocessing setting and by a fingerprint (path, size, mtime) of
each file read, so a changed setting or a changed file makes a new cache. It is written to a
temporary file and renamed into place: an interrupted run leaves no half-written cache, and a cache
that cannot be read is rebuilt, never trusted.
"""

import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.errors import DatasetFormatError
from fau_lightning.files import cache_key, load_checked, remove_stale_temporaries, save_checked, write_atomically
from fau_lightning.progress import StageProgress
from fau_lightning.readers.face_crop import CropSettings, crop_face
from fau_lightning.readers.records import FaceRecords, FileList, ImageFile, read_landmarks

log = logging.getLogger(__name__)
CACHE_VERSION = 2


def _file_states(files: FileList) -> list[str]:
    """Every file the cache is made from, as path, size and modification time."""
    read = [im.path for im in files.images] + [im.landmarks_path for im in files.images if im.landmarks_path]
    states = []
    for path in sorted(set(read + files.label_files)):
        st = path.stat()
        states.append(f"{path.relative_to(files.root)}|{st.st_size}|{st.st_mtime_ns}")
    return states


def faces_key(files: FileList, crop: CropSettings, extra: dict) -> str:
    settings = {
        "cache_version": CACHE_VERSION,
        "root": str(files.root.resolve()),
        "crop": asdict(crop),
        **extra,
        "subjects": files.subjects,  # they decide the folds, even those with no image chosen
    }
    return cache_key(settings, _file_states(files))


def _process(image: ImageFile, crop: CropSettings) -> tuple[np.ndarray, np.ndarray, bool] | str:
    """(face, landmarks in face pixels, face found), or the reason the image is skipped."""
    gray = cv2.imread(str(image.path), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        return f"{image.path}: unreadable image, skipped"
    landmarks = read_landmarks(image.landmarks_path) if image.landmarks_path else None
    face = crop_face(gray, crop, landmarks)
    mapped = face.map_points(landmarks, crop.size) if landmarks is not None else np.full((68, 2), np.nan, np.float32)
    return face.image, mapped.astype(np.float32), face.face_found


def _build(files: FileList, crop: CropSettings, workers: int) -> tuple[FaceRecords, list[str]]:
    progress, stage = StageProgress(), f"reading and cropping {len(files.images)} images of {files.root}"
    results = []
    with ThreadPoolExecutor(max(1, workers)) as pool:  # OpenCV releases the GIL
        for done, result in enumerate(pool.map(lambda im: _process(im, crop), files.images), start=1):
            results.append(result)
            progress(stage, done, len(files.images))
    report = [r for r in results if isinstance(r, str)]
    kept = [(im, r) for im, r in zip(files.images, results, strict=True) if not isinstance(r, str)]
    if not kept:
        raise DatasetFormatError(f"{files.root}: none of the {len(files.images)} selected images could be read")
    report += [f"{im.path}: no face found, whole frame used" for im, r in kept if not r[2]]
    au_codes = np.array(sorted({au for im, _ in kept for au in im.aus}), dtype=np.int64)
    column = {au: k for k, au in enumerate(au_codes)}
    au_intensity = np.zeros((len(kept), len(au_codes)), np.int64)
    au_present = np.zeros((len(kept), len(au_codes)), bool)
    for row, (im, _) in enumerate(kept):
        for au, intensity in im.aus.items():
            au_present[row, column[au]] = True
            au_intensity[row, column[au]] = intensity
    faces = FaceRecords(
        images=np.stack([r[0] for _, r in kept]),
        label=np.array([im.label for im, _ in kept], np.int64),
        subject=np.array([im.subject for im, _ in kept], dtype=str),
        sequence=np.array([im.sequence for im, _ in kept], dtype=str),
        source=np.array([str(im.path.relative_to(files.root)) for im, _ in kept]),
        partition=np.array([im.partition for im, _ in kept], dtype=str).reshape(len(kept), len(kept[0][0].partition)),
        au_codes=au_codes,
        au_present=au_present,
        au_intensity=au_intensity,
        landmarks=np.stack([r[1] for _, r in kept]),
        face_found=np.array([r[2] for _, r in kept]),
        all_subjects=np.array(files.subjects, dtype=str),
    )
    return faces, report


def _load(path: Path) -> FaceRecords | None:
    """The cached records, or None (with a warning) when the entry cannot be trusted: it is rebuilt."""
    arrays, problem = load_checked(path)
    fields = list(FaceRecords.__dataclass_fields__)
    if arrays is not None and any(name not in arrays for name in fields):
        problem = "lacks " + ", ".join(name for name in fields if name not in arrays)
    if problem:
        warnings.warn(f"cache {path} {problem}; rebuilding it", stacklevel=3)
        return None
    return FaceRecords(**{name: arrays[name] for name in fields})


def load_or_build(
    files: FileList, crop: CropSettings, cache_dir: str | os.PathLike, extra: dict, workers: int | None = None
) -> tuple[FaceRecords, Path]:
    """The preprocessed records of `files`, from the cache when it matches; returns (set, cache path).

    A `<cache>.report.txt` beside the cache lists skipped images and missed faces. Temporary files
    of a write that was killed are removed.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in remove_stale_temporaries(cache_dir):
        log.info("removed %s, left by a write that was killed", stale)
    path = cache_dir / f"faces-{faces_key(files, crop, extra)}.npz"
    if path.exists() and (faces := _load(path)) is not None:
        return faces, path
    faces, report = _build(files, crop, workers or os.cpu_count() or 1)
    report_path = path.with_suffix(".report.txt")
    write_atomically(report_path, lambda f: f.write("".join(line + "\n" for line in report).encode()))
    if report:
        warnings.warn(
            f"{len(report)} image(s) skipped or without a detected face; listed in {report_path}", stacklevel=2
        )
    save_checked(path, asdict(faces))
    return faces, path
