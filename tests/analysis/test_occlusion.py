"""Occlusion finds where a unit's response comes from: region maps from landmarks, flattening, and a
unit wired to look at one region found there whatever the others do.
"""

import numpy as np

from fau_lightning.analysis.occlusion import (
    REGIONS,
    flatten_region,
    region_label_maps,
    response_regions,
)
from fau_lightning.analysis.regions import NO_REGION, UNKNOWN


def _landmarks(size: float) -> np.ndarray:
    """A frontal face's 68 landmarks in a size x size image, each region at its usual height."""
    points = np.zeros((68, 2))
    xs = lambda n, spread: size / 2 + np.linspace(-spread, spread, n) * size  # noqa: E731
    points[17:27] = np.stack([xs(10, 0.3), np.full(10, 0.25 * size)], axis=1)  # brows
    points[36:42] = np.stack([xs(6, 0.05) - 0.18 * size, np.full(6, 0.35 * size)], axis=1)  # right eye (image left)
    points[42:48] = np.stack([xs(6, 0.05) + 0.18 * size, np.full(6, 0.35 * size)], axis=1)
    points[27:36] = np.stack([np.full(9, size / 2), np.linspace(0.38, 0.58, 9) * size], axis=1)  # nose
    points[48:68] = np.stack([xs(20, 0.15), np.full(20, 0.72 * size)], axis=1)  # mouth
    points[0:17] = np.stack([xs(17, 0.4), np.full(17, 0.9 * size)], axis=1)  # jaw line, chin in the middle
    return points


def test_region_maps_follow_the_landmarks_and_never_overlap() -> None:
    maps = region_label_maps(np.stack([_landmarks(48), np.full((68, 2), np.nan)]), 48)
    face = maps[0]
    mouth, brows = REGIONS.index("mouth"), REGIONS.index("brows")
    assert face[int(0.72 * 48), 24] == mouth and face[int(0.25 * 48), 24] == brows
    assert face[2, 2] == NO_REGION  # a corner is near no region
    assert set(np.unique(face)) == {NO_REGION, *range(len(REGIONS))}  # every region has pixels
    assert (maps[1] == NO_REGION).all()  # no landmarks, no regions


def test_flattening_sets_only_the_region_to_its_own_mean() -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 48, 48), dtype=np.uint8)
    labels = region_label_maps(np.stack([_landmarks(48)] * 2), 48)
    flat = flatten_region(images, labels, 3)
    inside = labels == 3
    assert np.array_equal(flat[~inside], images[~inside])
    assert np.ptp(flat[0][inside[0]]) == 0 and abs(float(flat[0][inside[0]][0]) - images[0][inside[0]].mean()) <= 0.5


def test_a_unit_wired_to_the_mouth_is_found_at_the_mouth() -> None:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(6, 48, 48), dtype=np.uint8)
    landmarks = np.stack([_landmarks(48)] * 5 + [np.full((68, 2), np.nan)])
    labels = region_label_maps(landmarks, 48)
    mouth_pixels = labels[0] == REGIONS.index("mouth")

    def unit_values(batch: np.ndarray) -> np.ndarray:
        texture = batch.astype(float).std(axis=(1, 2))
        mouth_texture = np.array([b[mouth_pixels].std() for b in batch.astype(float)])
        return np.stack([mouth_texture, texture, np.ones(len(batch))], axis=1)  # mouth; everywhere; constant

    found = response_regions(images, labels, unit_values(images), unit_values)
    assert (found[:5, 0] == REGIONS.index("mouth")).all()
    assert (found[:5, 2] == NO_REGION).all()  # nothing lowers a constant
    assert (found[5] == UNKNOWN).all()  # the image without landmarks says nothing
