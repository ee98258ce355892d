"""The Haar path on real photographs that ship with installed packages (no download)."""

import cv2
import numpy as np
import pytest

from fau_lightning.readers.face_crop import CropSettings, crop_face, detect_face
from fau_lightning.readers.real_photos import sample_photographs

# Face centre and side in pixels, read by eye off docs/images/haar_real_photos.png.
FACES = {"grace_hopper": ((266, 222), 235), "astronaut": ((223, 114), 97)}
PAPER = CropSettings(method="haar", size=96)


@pytest.fixture(scope="module", params=sorted(FACES))
def photo(request) -> tuple[str, np.ndarray]:
    path = sample_photographs()[request.param]
    return request.param, cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)


def _close_to(box: tuple[int, int, int, int], centre: tuple[float, float], side: float) -> bool:
    x, y, w, h = box
    off = np.hypot(x + w / 2 - centre[0], y + h / 2 - centre[1])
    return off < 0.15 * side and 0.75 < w / side < 1.33


def test_face_found_where_it_is_once_min_size_fits_the_photo(photo) -> None:
    name, gray = photo
    centre, side = FACES[name]
    box = detect_face(gray, CropSettings(haar_min_size=0.15))
    assert box is not None and _close_to(box, centre, side), box
    crop = crop_face(gray, CropSettings(method="haar", size=96, haar_min_size=0.15))
    assert crop.face_found and crop.image.shape == (96, 96)


def test_papers_settings_on_ck_like_framing(photo) -> None:
    """CK+ frames a face at about 0.6 of the short side; the paper's 0.5-0.8 window is made for that."""
    name, gray = photo
    (cx, cy), side = FACES[name]
    half = int(side / 0.6 / 2)
    framed = cv2.copyMakeBorder(gray, half, half, half, half, cv2.BORDER_REPLICATE)[
        cy : cy + 2 * half, cx : cx + 2 * half
    ]
    box = detect_face(framed, PAPER)
    assert box is not None and _close_to(box, (half, half), side), box


def test_papers_settings_keep_a_small_face_photo_whole(photo) -> None:
    """These faces fill less than half the frame, so the paper's detector finds nothing and, as the
    paper did, the whole frame is kept (and listed by the caller).
    """
    _, gray = photo
    crop = crop_face(gray, PAPER)
    assert not crop.face_found and crop.box == (0, 0, gray.shape[1], gray.shape[0])
