"""Copies of the inputs with each face's box and label drawn: images as images, videos as videos.

Copies mirror each input's path as given under the chosen folder (`inputs.mirrored`). A video's copy
holds its classified frames at the video's frame rate divided by `--every`, so it plays at the
original speed: an .avi as Motion JPEG, anything else as MPEG-4 (`mp4v`) in an .mp4 file, the two
codecs OpenCV's own wheels can write. Every file is written under a temporary name and renamed into
place when complete.
"""

import os
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.errors import OutputError
from fau_lightning.files import temporary_path, write_image
from fau_lightning.inference.faces import Box
from fau_lightning.inference.inputs import Frame, InputFile, mirrored

BOX_COLOUR = (0, 200, 0)  # BGR
NO_FACE_COLOUR = (0, 0, 220)
TEXT_COLOUR = (0, 0, 0)
FONT = cv2.FONT_HERSHEY_SIMPLEX
MP4_SUFFIXES = (".mp4", ".m4v", ".mov")


def label_text(row: dict) -> str:
    """The top class and its probability, e.g. "happy 0.87"; "-" for a row without probabilities."""
    probabilities = row.get("probabilities")
    if not probabilities:
        return "-"
    top = max(probabilities, key=probabilities.get)
    return f"{top} {probabilities[top]:.2f}"


def drawing_sizes(height: int, width: int) -> tuple[float, int]:
    """(font scale, line thickness) for an image: text about 11 pixels high at 320 pixels, growing with the image."""
    short = min(height, width)
    return max(0.5, short / 640), max(1, round(short / 320))


def label_box(box: Box, text_size: tuple[int, int], image_shape: tuple[int, ...], thickness: int) -> Box:
    """Where a label's filled background goes: above the box, clear of its line; below it where there is
    no room above; inside its top edge where there is room for neither. Always inside the image.
    """
    x0, y0, x1, y1 = box
    height, width = image_shape[:2]
    label_w, label_h = text_size
    gap = thickness // 2 + 2  # half the line drawn outside the box's edge, then a clear pixel
    left = max(0, x0)
    if y0 - gap - label_h >= 0:
        top = y0 - gap - label_h
    elif y1 + gap + label_h <= height:
        top = y1 + gap
    else:  # inside the box, clear of its top and left lines
        top, left = max(0, y0) + gap, max(0, x0) + gap
    left = min(left, max(0, width - label_w))
    return left, top, left + label_w, top + label_h


def draw_labels(image: np.ndarray, labelled_boxes: list[tuple[Box, str]]) -> np.ndarray:
    """A BGR copy of a BGR (or grayscale) image with each box and its label; "no face" where there is none."""
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    scale, thickness = drawing_sizes(*out.shape[:2])
    text_thickness = max(1, round(scale * 1.5))
    labels = labelled_boxes or [((0, 0, 0, 0), "no face")]
    for box, label in labels:
        colour = BOX_COLOUR if labelled_boxes else NO_FACE_COLOUR
        if labelled_boxes:
            cv2.rectangle(out, box[:2], box[2:], colour, thickness)
        (text_w, text_h), baseline = cv2.getTextSize(label, FONT, scale, text_thickness)
        pad = max(2, text_h // 4)
        left, top, right, bottom = label_box(box, (text_w + 2 * pad, text_h + baseline + 2 * pad), out.shape, thickness)
        cv2.rectangle(out, (left, top), (right - 1, bottom - 1), colour, cv2.FILLED)
        cv2.putText(
            out, label, (left + pad, bottom - pad - baseline), FONT, scale, TEXT_COLOUR, text_thickness, cv2.LINE_AA
        )
    return out


def frame_png_path(folder: Path, frame: Frame) -> Path:
    """A video frame's own copy (`--annotate_frames`): `<video as given>` -> `<video stem>_frame<N>.png` beside it."""
    mirror = mirrored(folder, frame.source.shown_as)
    return mirror.with_name(f"{mirror.stem}_frame{frame.index:06d}.png")


def image_copy(path: Path) -> Path:
    """Where an image's annotated copy is written: its mirrored path, with ".png" added where OpenCV
    cannot write that suffix.
    """
    return path if cv2.haveImageWriter(str(path)) else path.with_name(path.name + ".png")


def copy_of(folder: Path, source: InputFile) -> Path:
    """Where an input's annotated copy goes under `folder`."""
    return video_copy(folder, source)[0] if source.is_video else image_copy(mirrored(folder, source.shown_as))


def video_copy(folder: Path, source: InputFile) -> tuple[Path, str]:
    """(where a video's annotated copy goes, its codec's FourCC)."""
    mirror = mirrored(folder, source.shown_as)
    suffix = mirror.suffix.lower()
    if suffix == ".avi":
        return mirror, "MJPG"
    return (mirror if suffix in MP4_SUFFIXES else mirror.with_name(mirror.name + ".mp4")), "mp4v"


class Annotator:
    """Writes the annotated copies of a run's frames, which arrive in order, one file after another.

    Args:
        folder: where the copies go, mirroring each input's path.
        every: the `--every` the video frames were sampled with (sets the copy's frame rate).
        frame_pngs: also write each classified video frame as a PNG.
    """

    def __init__(self, folder: Path, every: int = 1, frame_pngs: bool = False) -> None:
        self.folder = folder
        self.every = every
        self.frame_pngs = frame_pngs
        self.written: list[Path] = []
        self._video: tuple[InputFile, cv2.VideoWriter, Path, Path] | None = None

    def add(self, frame: Frame, labelled_boxes: list[tuple[Box, str]]) -> None:
        """Draw a frame's boxes and labels and write it where it belongs."""
        if frame.image is None:
            return
        drawn = draw_labels(frame.image, labelled_boxes)
        if frame.index is None:
            self._write_image(mirrored(self.folder, frame.source.shown_as), drawn)
            return
        if self._video is None or self._video[0] is not frame.source:
            self._finish_video()
            self._start_video(frame, drawn.shape)
        self._video[1].write(drawn)
        if self.frame_pngs:
            self._write_image(frame_png_path(self.folder, frame), drawn)

    def _write_image(self, path: Path, image: np.ndarray) -> None:
        path = image_copy(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_image(path, image)
        self.written.append(path)

    def _start_video(self, first: Frame, shape: tuple[int, ...]) -> None:
        path, codec = video_copy(self.folder, first.source)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_path(path)
        fps = (first.fps or 25.0) / self.every
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*codec), fps, (shape[1], shape[0]))
        if not writer.isOpened():
            raise OutputError(f"{path}: OpenCV could not open a {codec} video for the annotated copy there")
        self._video = (first.source, writer, tmp, path)

    def _finish_video(self) -> None:
        if self._video is None:
            return
        _, writer, tmp, path = self._video
        self._video = None
        writer.release()
        if not tmp.exists():
            raise OutputError(f"{path}: OpenCV wrote no annotated video there")
        os.replace(tmp, path)
        self.written.append(path)

    def close(self) -> None:
        self._finish_video()

    def __enter__(self) -> "Annotator":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        elif self._video is not None:
            self._video[1].release()
            self._video[2].unlink(missing_ok=True)
