"""Annotated copies: where a label goes (never crossed by its box's line, always inside the image),
its size at 320 pixels, and what it says.
"""

import cv2
import numpy as np
import pytest

from fau_lightning.inference.annotate import FONT, draw_labels, drawing_sizes, label_box, label_text


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box_lines(box: tuple[int, int, int, int], thickness: int) -> list[tuple[int, int, int, int]]:
    """The four strips cv2.rectangle paints for a box's outline (as half-open rectangles)."""
    x0, y0, x1, y1 = box
    half = thickness // 2 + 1
    return [
        (x0 - half, y0 - half, x1 + half, y0 + half),
        (x0 - half, y1 - half, x1 + half, y1 + half),
        (x0 - half, y0 - half, x0 + half, y1 + half),
        (x1 - half, y0 - half, x1 + half, y1 + half),
    ]


@pytest.mark.parametrize(
    "box",
    [(100, 120, 200, 220), (100, 2, 200, 102), (0, 0, 320, 320), (250, 250, 320, 320), (-20, -20, 340, 300)],
    ids=["room above", "top edge", "whole image", "corner", "past the edges"],
)
def test_the_label_is_clear_of_the_box_line_and_inside_the_image(box: tuple[int, int, int, int]) -> None:
    shape = (320, 320, 3)
    scale, thickness = drawing_sizes(*shape[:2])
    (width, height), baseline = cv2.getTextSize("contempt 0.51", FONT, scale, 1)
    left, top, right, bottom = label_box(box, (width + 4, height + baseline + 4), shape, thickness)
    assert 0 <= left and 0 <= top and right <= shape[1] and bottom <= shape[0]
    crossing = [line for line in _box_lines(box, thickness) if _overlaps(line, (left, top, right, bottom))]
    assert crossing == [], (box, (left, top, right, bottom), crossing)


def test_the_label_is_readable_at_320_pixels_and_grows_with_the_image() -> None:
    small, _ = drawing_sizes(320, 480)
    (_, height), _ = cv2.getTextSize("happy 0.87", FONT, small, 1)
    assert height >= 10  # about 11 pixels: OpenCV's simplex font at 0.5
    large, _ = drawing_sizes(1280, 1920)
    assert large == pytest.approx(2.0)


def test_the_label_names_the_top_class_and_its_probability() -> None:
    row = {"predicted": "happy", "probabilities": {"neutral": 0.1, "happy": 0.874, "fear": 0.026}}
    assert label_text(row) == "happy 0.87"
    assert label_text({"predicted": None, "probabilities": None}) == "-"


def test_drawing_leaves_the_original_alone_and_marks_a_frame_without_a_face() -> None:
    image = np.full((240, 320, 3), 128, np.uint8)
    drawn = draw_labels(image, [((100, 100, 160, 160), "happy 0.87")])
    assert (image == 128).all() and not np.array_equal(drawn, image)
    assert tuple(drawn[100, 130]) == (0, 200, 0)  # the box's top line
    no_face = draw_labels(image[..., 0], [])
    assert no_face.shape == (240, 320, 3) and (no_face[..., 2] > no_face[..., 1]).any()  # red "no face"
