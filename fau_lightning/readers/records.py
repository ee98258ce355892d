"""One record type for every dataset: face images and whatever the dataset says about each of them.

Readers of whole-array formats (TFD, FER2013) return `FaceRecords` directly. Readers of image
folders (CK+, the synthetic set, your own folders) return a `FileList`, which the face cache
(`cache.py`) decodes, crops and turns into `FaceRecords`. A field a dataset does not have holds its
"none" value: `NO_LABEL`, an empty string, an empty AU table, NaN landmarks.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fau_lightning.errors import DatasetFormatError

NO_LABEL = -1  # an image whose class the dataset does not give
# Every still-image format OpenCV 4 reads in its pip wheels (OpenEXR is off there by default).
IMAGE_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".jpe", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".avif", ".gif", ".jp2",
    ".pbm", ".pgm", ".ppm", ".pnm", ".pfm", ".sr", ".ras", ".hdr", ".pic",
)  # fmt: skip


@dataclass(frozen=True)
class ImageFile:
    """One image file to decode, with what its dataset says about it."""

    path: Path
    label: int  # the dataset's own class code, or NO_LABEL
    subject: str = ""  # the person ("" unknown)
    sequence: str = ""  # the recording within the subject ("" for single images)
    aus: dict[int, int] = field(default_factory=dict)  # FACS AU -> intensity (0 = present, not coded)
    landmarks_path: Path | None = None  # 68 lines "x y"
    partition: tuple[str, ...] = ()  # the dataset's own split tag(s) for this image


@dataclass(frozen=True)
class FileList:
    """The images a dataset folder offers, before any pixel is decoded."""

    root: Path
    images: list[ImageFile]
    subjects: list[str]  # every subject the dataset lists, sorted: the basis of subject folds
    label_files: list[Path]  # label files read, so the cache notices when one changes


@dataclass(frozen=True)
class FaceRecords:
    """Face images and their labels, as arrays of equal length N."""

    images: np.ndarray  # uint8 (N, S, S)
    label: np.ndarray  # int64 (N,), the dataset's class code, NO_LABEL where it gives none
    subject: np.ndarray  # str (N,), "" where unknown
    sequence: np.ndarray  # str (N,), "" for single images
    source: np.ndarray  # str (N,), where each image came from (path relative to the root, or file:row)
    partition: np.ndarray  # str (N, P), the dataset's own split tags, one column per official split
    # (TFD's five folds: "train", "val", "test" or "" for left out; FER2013's Usage; a folder's split)
    au_codes: np.ndarray  # int64 (K,), the AUs seen anywhere in the set
    au_present: np.ndarray  # bool (N, K)
    au_intensity: np.ndarray  # int64 (N, K), 0 = absent or not coded
    landmarks: np.ndarray  # float32 (N, 68, 2) in image pixels, NaN where the dataset has none
    face_found: np.ndarray  # bool (N,), False where the face crop fell back to the whole frame
    all_subjects: np.ndarray  # str (M,), every subject the dataset lists, for subject folds

    def __len__(self) -> int:
        return len(self.images)

    @classmethod
    def of_arrays(
        cls,
        images: np.ndarray,
        label: np.ndarray,
        source: str,
        subject: np.ndarray | None = None,
        partition: np.ndarray | None = None,
    ) -> "FaceRecords":
        """Records of an already-cropped image array (N, S, S) with no AUs and no landmarks;
        `source` names the file, and each image's source is `<file>:<index>`.
        """
        n = len(images)
        subject = np.full(n, "") if subject is None else np.asarray(subject, dtype=str)
        return cls(
            images=images,
            label=np.asarray(label, np.int64),
            subject=subject,
            sequence=np.full(n, ""),
            source=np.char.add(f"{source}:", np.arange(n).astype(str)),
            partition=np.zeros((n, 0), str) if partition is None else np.asarray(partition, dtype=str).reshape(n, -1),
            au_codes=np.zeros(0, np.int64),
            au_present=np.zeros((n, 0), bool),
            au_intensity=np.zeros((n, 0), np.int64),
            landmarks=np.full((n, 68, 2), np.nan, np.float32),
            face_found=np.ones(n, bool),
            all_subjects=np.unique(subject[subject != ""]),
        )


def read_floats(path: Path, columns: int, error: type[ValueError] = DatasetFormatError) -> np.ndarray:
    """Rows of whitespace-separated floats (CK+'s '   3.0000000e+00' style), shape (rows, columns)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Excel, Notepad) is not part of the text
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: cannot read label file ({err})") from err
    rows = [line.split() for line in text.splitlines() if line.strip()]
    try:
        values = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
    except ValueError as err:
        raise error(f"{path}: expected numbers, found {text.strip()[:60]!r}") from err
    if values.size and (values.ndim != 2 or values.shape[1] != columns):
        raise error(f"{path}: expected {columns} number(s) per line, found {[len(r) for r in rows][:5]}")
    return values.reshape(-1, columns)


def read_landmarks(path: str | os.PathLike) -> np.ndarray:
    """A landmark file: 68 lines "x y" (CK+'s format), as float32 (68, 2)."""
    path = Path(path)
    values = read_floats(path, 2)
    if values.shape != (68, 2):
        raise DatasetFormatError(f"{path}: expected 68 landmark lines 'x y', found {len(values)}")
    return values.astype(np.float32)
