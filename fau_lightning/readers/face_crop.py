"""Face cropping shared by the datasets: the paper's Haar detector, a landmark box, or none.

A face that is not found is never an error: the whole frame is resized instead, as the paper did,
and the caller lists the image in its report.
"""

import threading
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from fau_lightning.errors import SettingError

CropMethod = Literal["haar", "landmarks", "none"]


@dataclass(frozen=True)
class CropSettings:
    method: CropMethod = "haar"
    size: int = 96
    haar_scale_factor: float = 1.3
    haar_min_neighbors: tuple[int, ...] = (5, 3)  # tried in turn
    haar_min_size: float = 0.5  # of min(H, W)
    haar_max_size: float = 0.8
    landmark_margin: float = 0.15  # added around the landmarks' bounding square, per side


@dataclass(frozen=True)
class Crop:
    image: np.ndarray  # uint8 (size, size)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in source pixels
    face_found: bool

    def map_points(self, points: np.ndarray, size: int) -> np.ndarray:
        """Source pixel coordinates -> coordinates in the cropped, resized image."""
        x0, y0, x1, y1 = self.box
        scale = np.array([size / (x1 - x0), size / (y1 - y0)], dtype=np.float32)
        return (points - np.array([x0, y0], dtype=np.float32)) * scale


HAAR_CASCADE = "haarcascade_frontalface_default.xml"  # in OpenCV's cv2.data.haarcascades folder
# How a face box becomes the network's input (the model card states them by these names).
BORDER = "BORDER_REPLICATE"  # parts of a box outside the frame
INTERPOLATION = "INTER_AREA"  # resizing the box to size x size
_per_thread = threading.local()  # a CascadeClassifier must not be shared between threads


def _haar_cascade() -> cv2.CascadeClassifier:
    if not hasattr(_per_thread, "cascade"):
        path = cv2.data.haarcascades + HAAR_CASCADE
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load its Haar cascade {path}; install opencv-python-headless<5")
        _per_thread.cascade = cascade
    return _per_thread.cascade


def detect_faces(gray: np.ndarray, s: CropSettings) -> list[tuple[int, int, int, int]]:
    """Every face Haar finds, as (x, y, w, h) in OpenCV's order; each of `haar_min_neighbors` is tried
    in turn until one finds any.
    """
    short = min(gray.shape[:2])
    min_size = max(int(s.haar_min_size * short), 1)
    max_size = int(s.haar_max_size * short)
    for neighbors in s.haar_min_neighbors:
        found = _haar_cascade().detectMultiScale(
            gray,
            scaleFactor=s.haar_scale_factor,
            minNeighbors=neighbors,
            minSize=(min_size, min_size),
            maxSize=(max_size, max_size),
        )
        if len(found):
            return [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
    return []


def detect_face(gray: np.ndarray, s: CropSettings) -> tuple[int, int, int, int] | None:
    """The paper's detector: the first detection as (x, y, w, h), or None."""
    found = detect_faces(gray, s)
    return found[0] if found else None


def _landmark_box(landmarks: np.ndarray, margin: float) -> tuple[int, int, int, int]:
    (x0, y0), (x1, y1) = landmarks.min(axis=0), landmarks.max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = max(x1 - x0, y1 - y0) * (0.5 + margin)
    left, top = int(round(cx - half)), int(round(cy - half))
    side = int(round(2 * half))
    return left, top, left + side, top + side


def cut_box(gray: np.ndarray, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    """Resample the box to size x size; parts outside the frame repeat the border."""
    x0, y0, x1, y1 = box
    h, w = gray.shape
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, getattr(cv2, BORDER))
    face = gray[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    return cv2.resize(face, (size, size), interpolation=getattr(cv2, INTERPOLATION))


def crop_face(gray: np.ndarray, s: CropSettings, landmarks: np.ndarray | None = None) -> Crop:
    """Crop a grayscale uint8 frame to a size x size face image."""
    h, w = gray.shape
    box: tuple[int, int, int, int] | None = None
    if s.method == "haar":
        found = detect_face(gray, s)
        if found is not None:
            x, y, fw, fh = found
            box = (x, y, x + fw, y + fh)
    elif s.method == "landmarks":
        if landmarks is not None and np.isfinite(landmarks).all():
            box = _landmark_box(landmarks, s.landmark_margin)
    elif s.method != "none":
        raise SettingError(f"face_crop: unknown method {s.method!r}; choose haar, landmarks or none")
    if box is None:
        return Crop(
            cv2.resize(gray, (s.size, s.size), interpolation=getattr(cv2, INTERPOLATION)),
            (0, 0, w, h),
            s.method == "none",
        )
    return Crop(cut_box(gray, box, s.size), box, True)
