"""Copies of the input images (and video frames) with each face's box and predicted label drawn."""

from pathlib import Path

import cv2
import numpy as np

from fau_lightning.inference.inputs import Frame


def annotated_path(folder: Path, frame: Frame) -> Path:
    """Where a frame's copy goes: its path as shown, under `folder`; video frames as `<video>_frame<N>.png`."""
    shown = frame.source.shown_as
    if frame.index is None:
        return folder / shown
    return folder / shown.parent / f"{shown.stem}_frame{frame.index:06d}.png"


def draw_labels(image: np.ndarray, labelled_boxes: list[tuple[tuple[int, int, int, int], str]]) -> np.ndarray:
    """A copy of a BGR (or grayscale) image with each box and its label; "no face" written where there is none."""
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    thickness = max(1, round(min(out.shape[:2]) / 300))
    scale = max(0.4, min(out.shape[:2]) / 800)
    for (x0, y0, x1, y1), label in labelled_boxes:
        cv2.rectangle(out, (x0, y0), (x1, y1), (0, 255, 0), thickness)
        cv2.putText(out, label, (x0, max(y0 - 4, 12)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 255, 0), thickness)
    if not labelled_boxes:
        cv2.putText(out, "no face", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 255), thickness)
    return out


def write_annotated(folder: Path, frame: Frame, labelled_boxes: list[tuple[tuple[int, int, int, int], str]]) -> Path:
    path = annotated_path(folder, frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), draw_labels(frame.image, labelled_boxes))
    return path
