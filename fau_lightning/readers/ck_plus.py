"""Reader for the Extended Cohn-Kanade (CK+) folder layout and its text formats.

    <root>/cohn-kanade-images/S005/001/S005_001_00000001.png
    <root>/Emotion[_labels]/S005/001/S005_001_00000011_emotion.txt   one float, 1..7
    <root>/FACS[_labels]/S005/001/S005_001_00000011_facs.txt         lines "AU intensity"
    <root>/Landmarks/S005/001/S005_001_00000001_landmarks.txt         68 lines "x y"

An empty Emotion folder means "unlabelled", not an error; stray files (.DS_Store, Thumbs.db) are
ignored. This module only reads the layout: no pixels are decoded here.
"""

import os
from pathlib import Path

from fau_lightning.errors import DatasetFormatError, SettingError
from fau_lightning.readers.records import (
    IMAGE_SUFFIXES,
    NO_LABEL,
    FileList,
    ImageFile,
    read_floats,
)

IMAGE_DIR = "cohn-kanade-images"
EMOTION_DIRS = ("Emotion", "Emotion_labels")
FACS_DIRS = ("FACS", "FACS_labels")
LANDMARK_DIR = "Landmarks"
UNLABELLED = NO_LABEL  # emotion code of the frames of a sequence that has FACS codes but no emotion label


class CKPlusFormatError(DatasetFormatError):
    """A file or folder that does not follow the CK+ format; the message names the path."""


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _first_existing(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_dir()), None)


def read_emotion(path: Path) -> int:
    values = read_floats(path, 1, CKPlusFormatError)
    if values.shape != (1, 1):
        raise CKPlusFormatError(f"{path}: expected exactly one emotion code, found {values.size}")
    code = values[0, 0]
    if code != int(code) or not 1 <= code <= 7:
        raise CKPlusFormatError(f"{path}: emotion code must be a whole number 1..7, found {code}")
    return int(code)


def read_facs(path: Path) -> dict[int, int]:
    values = read_floats(path, 2, CKPlusFormatError)
    aus = {}
    for au, intensity in values:
        if au != int(au) or au < 1 or intensity != int(intensity) or not 0 <= intensity <= 5:
            raise CKPlusFormatError(f"{path}: bad AU line '{au:g} {intensity:g}' (AU >= 1, intensity 0..5)")
        aus[int(au)] = int(intensity)
    return aus


def _single_file(folder: Path, suffix: str) -> Path | None:
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if p.name.endswith(suffix) and not p.name.startswith("."))
    if len(found) > 1:
        raise CKPlusFormatError(f"{folder}: expected one *{suffix} file, found {[p.name for p in found]}")
    return found[0] if found else None


def read_layout(root: str | os.PathLike, last_frames: int = 3) -> FileList:
    """Choose the images of every coded sequence: the first frame (neutral) and the last N frames.

    The sequence's FACS AUs go to its last N frames (CK+ codes the peak); the neutral frame has none.
    Sequences with FACS codes but no emotion label (about 45 % of CK+) are read too, every frame
    with emotion UNLABELLED: training drops them, FAU analysis uses them. Each image's label is its
    CK+ emotion code.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"CK+ root {root} does not exist or is not a folder")
    image_dir = root / IMAGE_DIR
    emotion_dir = _first_existing(root, EMOTION_DIRS)
    if not image_dir.is_dir() or emotion_dir is None:
        raise CKPlusFormatError(
            f"{root} is not a CK+ folder: expected {IMAGE_DIR}/ and one of {'/, '.join(EMOTION_DIRS)}/ inside it"
        )
    if last_frames < 1:
        raise SettingError(f"last_frames: must be at least 1, got {last_frames}")
    facs_dir = _first_existing(root, FACS_DIRS)
    images: list[ImageFile] = []
    label_files: list[Path] = []
    subjects = [d.name for d in _visible_dirs(image_dir)]
    for subject in subjects:
        for seq_dir in _visible_dirs(image_dir / subject):
            rel = Path(subject) / seq_dir.name
            emotion_file = _single_file(emotion_dir / rel, "_emotion.txt")
            facs_file = _single_file(facs_dir / rel, "_facs.txt") if facs_dir else None
            if emotion_file is None and facs_file is None:
                continue  # nothing is known about this sequence
            frames = sorted(
                p for p in seq_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
            )
            if len(frames) < last_frames + 1:
                raise CKPlusFormatError(f"{seq_dir}: {len(frames)} frame(s), need at least {last_frames + 1}")
            emotion = read_emotion(emotion_file) if emotion_file else UNLABELLED
            aus = read_facs(facs_file) if facs_file else {}
            label_files += [f for f in (emotion_file, facs_file) if f]
            neutral = 0 if emotion_file else UNLABELLED
            chosen = [(frames[0], neutral, {})] + [(f, emotion, aus) for f in frames[-last_frames:]]
            for frame, code, frame_aus in chosen:
                lm = root / LANDMARK_DIR / rel / f"{frame.stem}_landmarks.txt"
                landmarks = lm if lm.is_file() else None
                images.append(ImageFile(frame, code, subject, seq_dir.name, aus=frame_aus, landmarks_path=landmarks))
    if not any(im.label != UNLABELLED for im in images):
        raise CKPlusFormatError(f"{root}: no labelled sequence found (no *_emotion.txt under {emotion_dir})")
    return FileList(root, images, subjects, label_files)
