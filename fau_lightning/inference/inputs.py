"""What `fau-predict` reads: image files, folders (searched recursively) and video files, as frames."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.datasets.records import IMAGE_SUFFIXES
from fau_lightning.errors import SettingError

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})


@dataclass(frozen=True)
class InputFile:
    path: Path
    shown_as: Path  # relative to the folder it was found in (folders), else as given

    @property
    def is_video(self) -> bool:
        return self.path.suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class Frame:
    """One image, or one frame of a video (`index` its frame number), in colour and in grayscale;
    `image` is None where the file could not be read.
    """

    source: InputFile
    index: int | None
    image: np.ndarray | None

    @property
    def gray(self) -> np.ndarray:
        return self.image if self.image.ndim == 2 else cv2.cvtColor(self.image, cv2.COLOR_BGR2GRAY)


def list_inputs(paths: list[str | Path]) -> list[InputFile]:
    """Every image and video file named or inside a named folder (recursively, sorted; hidden files skipped).

    Raises:
        SettingError: a path does not exist, or names a file that is neither an image nor a video.
    """
    found = []
    for given in map(Path, paths):
        if given.is_dir():
            inside = sorted(p for p in given.rglob("*") if p.is_file() and _readable_kind(p) and not _hidden(p, given))
            found += [InputFile(p, p.relative_to(given.parent)) for p in inside]
        elif given.is_file():
            if not _readable_kind(given):
                raise SettingError(f"{given}: not an image ({', '.join(sorted(IMAGE_SUFFIXES))}) or a video file")
            found.append(InputFile(given, Path(given.name)))
        else:
            raise SettingError(f"{given}: no such file or folder")
    return found


def _readable_kind(path: Path) -> bool:
    return path.suffix.lower() in frozenset(IMAGE_SUFFIXES) | VIDEO_SUFFIXES


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_frames(source: InputFile, every: int = 1) -> Iterator[Frame]:
    """An image file as one frame; a video's frames 0, every, 2*every, ...; an unreadable file as one
    frame without an image.
    """
    if not source.is_video:
        yield Frame(source, None, cv2.imread(str(source.path), cv2.IMREAD_COLOR))
        return
    video = cv2.VideoCapture(str(source.path))
    try:
        if not video.isOpened():
            yield Frame(source, None, None)
            return
        index = 0
        while video.grab():
            if index % every == 0:
                ok, image = video.retrieve()
                if ok:
                    yield Frame(source, index, image)
            index += 1
    finally:
        video.release()
