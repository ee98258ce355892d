"""Faces in photographs and video frames: every face Haar finds, cut as the network was trained.

The training crop suits a dataset's framing (CK+: one face at about 0.6 of the frame); photographs
hold faces of any size and several of them, so prediction detects with its own settings and then
cuts each face square and resizes it to the network's input, as training did.
"""

from dataclasses import dataclass

import numpy as np

from fau_lightning.readers.face_crop import CropSettings, cut_box, detect_faces

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in source pixels


@dataclass(frozen=True)
class PhotoDetector:
    """Haar settings for photographs: any face from `min_face` of the short side up to the whole frame.

    Attributes:
        min_face: smallest face found, as a share of the image's short side.
        min_neighbors: Haar's overlapping detections needed for a face (higher: fewer false faces).
        scale_factor: step between the detector's scales.
        max_face: largest face found, as a share of the short side.
    """

    min_face: float = 0.08
    min_neighbors: int = 5
    scale_factor: float = 1.1
    max_face: float = 1.0

    def settings(self) -> CropSettings:
        return CropSettings(
            method="haar",
            haar_scale_factor=self.scale_factor,
            haar_min_neighbors=(self.min_neighbors,),
            haar_min_size=self.min_face,
            haar_max_size=self.max_face,
        )


def square(box: Box) -> Box:
    """The box grown on its shorter side, about its centre, to a square (Haar's boxes already are)."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0)
    x0 -= (side - (x1 - x0)) // 2
    y0 -= (side - (y1 - y0)) // 2
    return x0, y0, x0 + side, y0 + side


def whole_image_box(height: int, width: int, pad: bool = False) -> Box:
    """The image's centred square: its short side (a centre crop), or with `pad` its long side (the
    image whole, its border repeated to fill the square).
    """
    side = max(height, width) if pad else min(height, width)
    x0, y0 = (width - side) // 2, (height - side) // 2
    return x0, y0, x0 + side, y0 + side


def find_faces(gray: np.ndarray, detector: PhotoDetector | None, pad: bool = False) -> list[Box]:
    """Square face boxes, left to right; with no detector, the image's centred square as one box."""
    if detector is None:
        return [whole_image_box(*gray.shape, pad=pad)]
    found = detect_faces(gray, detector.settings())
    return [square((x, y, x + w, y + h)) for x, y, w, h in sorted(found)]


def cut_faces(gray: np.ndarray, boxes: list[Box], size: int) -> np.ndarray:
    """(len(boxes), size, size) uint8 faces cut from a grayscale frame."""
    if not boxes:
        return np.zeros((0, size, size), np.uint8)
    return np.stack([cut_box(gray, box, size) for box in boxes])
