"""Reader for FER2013 (`fer2013.csv`: emotion, pixels, Usage).

A malformed row (wrong pixel count, a non-number, an unknown label or usage) is skipped with one
warning that gives the count and the first line numbers: one bad line in 35,887 should not cost a
user the run. A wrong header, an unreadable file, or a file with no valid row is an error.
"""

import csv
import os
import warnings
from pathlib import Path

import numpy as np

from fau_lightning.errors import DatasetFormatError
from fau_lightning.readers.records import FaceRecords

FER_EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
USAGES = ("Training", "PublicTest", "PrivateTest")
HEADER = ["emotion", "pixels", "usage"]
SIDE = 48


class FER2013FormatError(DatasetFormatError):
    """The file as a whole is unusable; the message names it."""


def _parse_row(row: list[str]) -> tuple[int, np.ndarray, str] | str:
    if len(row) != 3:
        return f"{len(row)} fields, expected 3"
    label, pixels, usage = (field.strip() for field in row)
    if label not in {str(i) for i in range(len(FER_EMOTIONS))}:
        return f"unknown emotion label {label!r}"
    if usage not in USAGES:
        return f"unknown usage {usage!r}"
    values = pixels.split()
    if len(values) != SIDE * SIDE:
        return f"{len(values)} pixels, expected {SIDE * SIDE}"
    if not all(v.isdigit() for v in values):
        return "pixels must be whole numbers 0..255"
    image = np.array(values, dtype=np.int64)
    if image.max() > 255:
        return "pixel value above 255"
    return int(label), image.astype(np.uint8).reshape(SIDE, SIDE), usage


def read_fer2013(path: str | os.PathLike) -> FaceRecords:
    """The valid rows, with label = emotion 0..6 and partition = the row's Usage."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FER2013 file {path} does not exist")
    images, emotions, usages, skipped = [], [], [], []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # a byte-order mark (Excel, Notepad) is dropped
            reader = csv.reader(f)
            header = next(reader, [])
            if [h.strip().lower() for h in header] != HEADER:
                raise FER2013FormatError(f"{path}: header should be 'emotion,pixels,Usage', found {','.join(header)!r}")
            for line, row in enumerate(reader, start=2):
                parsed = _parse_row(row)
                if isinstance(parsed, str):
                    skipped.append(f"line {line}: {parsed}")
                    continue
                emotions.append(parsed[0])
                images.append(parsed[1])
                usages.append(parsed[2])
    except UnicodeDecodeError as err:
        raise FER2013FormatError(f"{path}: not a text CSV file ({err})") from err
    if not images:
        raise FER2013FormatError(f"{path}: no valid row ({len(skipped)} malformed: {'; '.join(skipped[:3])})")
    if skipped:
        warnings.warn(f"{path}: skipped {len(skipped)} malformed row(s): {'; '.join(skipped[:10])}", stacklevel=2)
    return FaceRecords.of_arrays(np.stack(images), np.array(emotions), path.name, partition=np.array(usages))
