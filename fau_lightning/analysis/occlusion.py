"""Where a unit's response comes from, found by occlusion rather than by receptive-field geometry.

Each image's face is cut into regions (every pixel near a region's landmarks goes to the region of
the nearest one); each region in turn is flattened to its own mean grey and the image run through
the network again. The region whose flattening lowers a unit's maximum most is where that unit's
response came from. Unlike the position of the maximum, this does not depend on how large the
unit's receptive field is: a unit centred on the chin that responds to the lips is found at the mouth.
"""

from collections.abc import Callable

import numpy as np

from fau_lightning.analysis.regions import NO_REGION, REGIONS, UNKNOWN
from fau_lightning.facs import REGION_LANDMARKS
from fau_lightning.progress import StepProgress

EYES_RIGHT, EYES_LEFT = list(range(36, 42)), list(range(42, 48))


def region_label_maps(landmarks: np.ndarray, size: int, reach: float = 0.3) -> np.ndarray:
    """(N, size, size) int8: each pixel's region (index into REGIONS), NO_REGION where it is farther than
    `reach` x the distance between the eye centres from every region's landmarks (or without landmarks).

    A landmark listed in two regions belongs to the first, so the regions never overlap.
    """
    owner: dict[int, int] = {}
    for r, name in enumerate(REGIONS):
        for index in REGION_LANDMARKS[name]:
            owner.setdefault(index, r)
    indices = np.array(list(owner))
    region_of = np.array(list(owner.values()))
    centres = np.arange(size, dtype=np.float32) + 0.5  # pixel centres along either axis
    maps = np.full((len(landmarks), size * size), NO_REGION, np.int8)
    for n, points in enumerate(landmarks):
        if np.isnan(points).any():
            continue
        reach_px = reach * np.linalg.norm(points[EYES_RIGHT].mean(axis=0) - points[EYES_LEFT].mean(axis=0))
        dx, dy = centres[:, None] - points[indices, 0], centres[:, None] - points[indices, 1]  # (S, L) each
        distance = np.sqrt(dy[:, None] ** 2 + dx[None] ** 2).reshape(size * size, -1)  # (P, L), row-major pixels
        nearest = distance.argmin(axis=1)
        close = np.take_along_axis(distance, nearest[:, None], axis=1)[:, 0] <= reach_px
        maps[n, close] = region_of[nearest[close]]
    return maps.reshape(len(landmarks), size, size)


def flatten_region(images: np.ndarray, labels: np.ndarray, region: int) -> np.ndarray:
    """Copies of uint8 images (N, S, S) with the region's pixels set to their own mean grey."""
    inside = labels == region
    counts = inside.sum(axis=(1, 2))
    means = np.where(counts > 0, (images * inside).sum(axis=(1, 2)) / np.maximum(counts, 1), 0)
    return np.where(inside, np.round(means)[:, None, None], images).astype(np.uint8)


def response_regions(
    images: np.ndarray,
    labels: np.ndarray,
    intact: np.ndarray,
    unit_values: Callable[[np.ndarray], np.ndarray],
    progress: StepProgress | None = None,
) -> np.ndarray:
    """(N, U) the region whose flattening lowers each unit's value most: NO_REGION where none lowers it,
    UNKNOWN for images without regions (no landmarks).

    `intact` is the units' values (N, U) on `images`; `unit_values(images)` gives them for other uint8
    images; `progress(done, total)` is told after each region.
    """
    drops = np.empty((*intact.shape, len(REGIONS)), intact.dtype)  # (N, U, R)
    for r in range(len(REGIONS)):
        drops[..., r] = intact - unit_values(flatten_region(images, labels, r))
        if progress is not None:
            progress(r + 1, len(REGIONS))
    found = np.where(drops.max(axis=2) > 0, drops.argmax(axis=2), NO_REGION)
    found[~(labels != NO_REGION).any(axis=(1, 2))] = UNKNOWN
    return found
