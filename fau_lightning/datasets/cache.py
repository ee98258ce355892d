"""Decode, crop and cache a CK+-style image list once; later runs load the cache in a second.

The cache file is keyed by every preprocessing setting and by a fingerprint (path, size, mtime) of
each file read, so a changed setting or a changed file makes a new cache. It is written to a
temporary file and renamed into place: an interrupted run leaves no half-written cache, and a cache
that cannot be read is rebuilt, never trusted.
"""

import hashlib
import json
import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.atomic import write_atomically
from fau_lightning.datasets.ck_plus import CKImage, CKLayout, read_landmarks
from fau_lightning.datasets.face_crop import CropSettings, crop_face

log = logging.getLogger(__name__)
CACHE_VERSION = 1


@dataclass(frozen=True)
class FaceSet:
    """Preprocessed images and every label, as arrays of equal length N."""

    images: np.ndarray  # uint8 (N, S, S)
    emotion: np.ndarray  # int64 (N,), CK+ codes 0..7, or UNLABELLED (-1) for FACS-only sequences
    subject: np.ndarray  # str (N,)
    sequence: np.ndarray  # str (N,)
    source: np.ndarray  # str (N,), path relative to the root
    au_codes: np.ndarray  # int64 (K,), the AUs seen anywhere in the set
    au_present: np.ndarray  # bool (N, K)
    au_intensity: np.ndarray  # int64 (N, K), 0 = absent or not coded
    landmarks: np.ndarray  # float32 (N, 68, 2) in cropped-image pixels, NaN where the set has none
    face_found: np.ndarray  # bool (N,)
    all_subjects: np.ndarray  # str (M,), every subject folder sorted, for the fold assignment

    def __len__(self) -> int:
        return len(self.images)


def _fingerprint(layout: CKLayout) -> str:
    digest = hashlib.sha256()
    files = [im.path for im in layout.images] + [im.landmarks_path for im in layout.images if im.landmarks_path]
    for path in sorted(set(files + layout.label_files)):
        st = path.stat()
        digest.update(f"{path.relative_to(layout.root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_key(layout: CKLayout, crop: CropSettings, extra: dict) -> str:
    settings = {
        "cache_version": CACHE_VERSION,
        "root": str(layout.root.resolve()),
        "crop": asdict(crop),
        **extra,
        "files": _fingerprint(layout),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _process(image: CKImage, crop: CropSettings) -> tuple[np.ndarray, np.ndarray, bool] | str:
    """(face, landmarks in face pixels, face found), or the reason the image is skipped."""
    gray = cv2.imread(str(image.path), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        return f"{image.path}: unreadable image, skipped"
    landmarks = read_landmarks(image.landmarks_path) if image.landmarks_path else None
    face = crop_face(gray, crop, landmarks)
    mapped = face.map_points(landmarks, crop.size) if landmarks is not None else np.full((68, 2), np.nan, np.float32)
    return face.image, mapped.astype(np.float32), face.face_found


def _build(layout: CKLayout, crop: CropSettings, workers: int) -> tuple[FaceSet, list[str]]:
    with ThreadPoolExecutor(max(1, workers)) as pool:  # OpenCV releases the GIL
        results = list(pool.map(lambda im: _process(im, crop), layout.images))
    report = [r for r in results if isinstance(r, str)]
    kept = [(im, r) for im, r in zip(layout.images, results, strict=True) if not isinstance(r, str)]
    if not kept:
        raise ValueError(f"{layout.root}: none of the {len(layout.images)} selected images could be read")
    report += [f"{im.path}: no face found, whole frame used" for im, r in kept if not r[2]]
    au_codes = np.array(sorted({au for im, _ in kept for au in im.aus}), dtype=np.int64)
    column = {au: k for k, au in enumerate(au_codes)}
    au_intensity = np.zeros((len(kept), len(au_codes)), np.int64)
    au_present = np.zeros((len(kept), len(au_codes)), bool)
    for row, (im, _) in enumerate(kept):
        for au, intensity in im.aus.items():
            au_present[row, column[au]] = True
            au_intensity[row, column[au]] = intensity
    faces = FaceSet(
        images=np.stack([r[0] for _, r in kept]),
        emotion=np.array([im.emotion for im, _ in kept], np.int64),
        subject=np.array([im.subject for im, _ in kept]),
        sequence=np.array([im.sequence for im, _ in kept]),
        source=np.array([str(im.path.relative_to(layout.root)) for im, _ in kept]),
        au_codes=au_codes,
        au_present=au_present,
        au_intensity=au_intensity,
        landmarks=np.stack([r[1] for _, r in kept]),
        face_found=np.array([r[2] for _, r in kept]),
        all_subjects=np.array(layout.subjects),
    )
    return faces, report


def _load(path: Path) -> FaceSet | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return FaceSet(**{name: data[name] for name in FaceSet.__dataclass_fields__})
    except Exception as err:  # a damaged cache is rebuilt, never trusted
        warnings.warn(f"cache {path} could not be read ({err}); rebuilding it", stacklevel=3)
        return None


def load_or_build(
    layout: CKLayout, crop: CropSettings, cache_dir: str | os.PathLike, extra: dict, workers: int | None = None
) -> tuple[FaceSet, Path]:
    """The preprocessed set for `layout`, from the cache when it matches; returns (set, cache path).

    A `<cache>.report.txt` beside the cache lists skipped images and missed faces.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"faces-{cache_key(layout, crop, extra)}.npz"
    if path.exists() and (faces := _load(path)) is not None:
        return faces, path
    log.info("preprocessing %d images from %s into %s", len(layout.images), layout.root, path)
    faces, report = _build(layout, crop, workers or os.cpu_count() or 1)
    report_path = path.with_suffix(".report.txt")
    write_atomically(report_path, lambda f: f.write("".join(line + "\n" for line in report).encode()))
    if report:
        warnings.warn(
            f"{len(report)} image(s) skipped or without a detected face; listed in {report_path}", stacklevel=2
        )
    write_atomically(path, lambda f: np.savez(f, **asdict(faces)))
    return faces, path
