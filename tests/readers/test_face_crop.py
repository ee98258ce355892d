import numpy as np
import pytest

from fau_lightning.readers.face_crop import CropSettings, crop_face


def test_landmark_crop_is_a_square_around_the_points_with_margin() -> None:
    gray = np.zeros((200, 300), np.uint8)
    gray[80:120, 130:170] = 255  # a bright square where the "face" is
    pts = np.array([[130.0, 80.0], [170.0, 120.0], [150.0, 100.0]])
    crop = crop_face(gray, CropSettings(method="landmarks", size=48, landmark_margin=0.25))
    assert crop.face_found is False  # no landmarks given
    crop = crop_face(gray, CropSettings(method="landmarks", size=48, landmark_margin=0.25), pts)
    x0, y0, x1, y1 = crop.box
    assert (x0, y0, x1, y1) == (120, 70, 180, 130)  # 40 px square + 25 % a side
    assert crop.image.shape == (48, 48) and crop.face_found
    mapped = crop.map_points(pts.astype(np.float32), 48)
    assert np.allclose(mapped[2], [24, 24])
    assert crop.image[24, 24] == 255 and crop.image[2, 2] == 0


def test_crop_outside_the_frame_repeats_the_border() -> None:
    gray = np.full((50, 50), 100, np.uint8)
    pts = np.array([[-10.0, -10.0], [20.0, 20.0]])
    crop = crop_face(gray, CropSettings(method="landmarks", size=32), pts)
    assert crop.image.shape == (32, 32) and (crop.image == 100).all()


def test_none_resizes_the_whole_frame() -> None:
    gray = np.tile(np.arange(64, dtype=np.uint8), (48, 1))
    crop = crop_face(gray, CropSettings(method="none", size=32))
    assert crop.box == (0, 0, 64, 48) and crop.image.shape == (32, 32) and crop.face_found


def test_haar_miss_keeps_the_whole_frame_and_says_so() -> None:
    gray = np.random.default_rng(0).integers(0, 255, (120, 160), dtype=np.uint8)
    crop = crop_face(gray, CropSettings(method="haar", size=96))
    assert not crop.face_found and crop.box == (0, 0, 160, 120) and crop.image.shape == (96, 96)


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="face_crop: unknown method"):
        crop_face(np.zeros((10, 10), np.uint8), CropSettings(method="dlib"))  # type: ignore[arg-type]
