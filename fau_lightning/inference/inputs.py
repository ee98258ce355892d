"""What `fau-predict` reads: image files, folders (searched recursively) and video files, as frames."""

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

import cv2
import numpy as np

from fau_lightning.errors import SettingError
from fau_lightning.readers.records import IMAGE_SUFFIXES

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})


@dataclass(frozen=True)
class InputFile:
    """A file to classify.

    Attributes:
        path: where it is read from; None for an image given as an array (Python API).
        shown_as: the path as the user gave it (a file inside a given folder: the folder as given, then
            the file's path inside it); rows name it and annotated copies mirror it.
    """

    path: Path | None
    shown_as: str

    @property
    def is_video(self) -> bool:
        return self.path is not None and self.path.suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class Frame:
    """One image, or one frame of a video, in colour and in grayscale.

    Attributes:
        source: the file it comes from.
        index: its frame number in the video; None for an image.
        image: BGR or grayscale uint8; None where the file could not be read.
        fps: the video's frames per second as its container states it; None for an image or an unknown rate.
    """

    source: InputFile
    index: int | None
    image: np.ndarray | None
    fps: float | None = None

    @property
    def time_s(self) -> float | None:
        """The frame's time in its video; None for an image or a video of unknown rate."""
        return round(self.index / self.fps, 6) if self.index is not None and self.fps else None

    @property
    def gray(self) -> np.ndarray:
        return self.image if self.image.ndim == 2 else cv2.cvtColor(self.image, cv2.COLOR_BGR2GRAY)


def list_inputs(paths: list[str | os.PathLike]) -> list[InputFile]:
    """Every image and video file named or inside a named folder (recursively, sorted; hidden files skipped).

    Raises:
        SettingError: a path does not exist, or names a file that is neither an image nor a video.
    """
    found = []
    for given in map(os.fspath, paths):
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p for p in path.rglob("*") if p.is_file() and _has_readable_suffix(p) and not _hidden(p, path)
            )
            found += [InputFile(p, os.path.join(given, *p.relative_to(path).parts)) for p in inside]
        elif path.is_file():
            if not (_has_readable_suffix(path) or cv2.haveImageReader(given)):
                raise SettingError(f"{given}: neither an image OpenCV reads nor a video file")
            found.append(InputFile(path, given))
        else:
            raise SettingError(f"{given}: no such file or folder")
    return found


def mirrored(folder: Path, shown_as: str) -> Path:
    """Where a copy of an input goes under `folder`: its path as given, with any root or drive dropped
    and each `..` written as `_up`, so that every copy stays inside `folder`.
    """
    given = PurePath(shown_as)
    parts = given.parts[1:] if given.anchor else given.parts
    return folder.joinpath(*("_up" if part == ".." else part for part in parts))


def _has_readable_suffix(path: Path) -> bool:
    return path.suffix.lower() in frozenset(IMAGE_SUFFIXES) | VIDEO_SUFFIXES


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


class DamagedVideoWarning(UserWarning):
    """A video ends before the frames its header states: the rest could not be read."""


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
        fps = video.get(cv2.CAP_PROP_FPS)
        fps = fps if fps > 0 else None  # 0 where the container states none
        index = 0
        while video.grab():
            if index % every == 0:
                ok, image = video.retrieve()
                if ok:
                    yield Frame(source, index, image, fps)
            index += 1
        stated = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
        if stated > index + 1:  # a container's count may be an estimate, off by one
            warnings.warn(
                f"{source.shown_as}: video damaged after frame {index - 1}: {index} of the {stated} frames its header"
                " states could be read",
                DamagedVideoWarning,
                stacklevel=2,
            )
            yield Frame(source, index, None, fps)  # the first frame that could not be read: an "unreadable" row
    finally:
        video.release()
