"""Regions a layer cannot tell apart: found from landmark geometry and the layer's step, tested as one."""

import numpy as np

from fau_lightning.analysis.regions import REGIONS, region_centres, unresolved_groups
from fau_lightning.facs import REGION_LANDMARKS


def _face(heights: dict[str, float], scale: float = 1.0) -> np.ndarray:
    """68 landmarks with every landmark of a region at x = 24 and the given height (times `scale`).
    The mouth is placed last, so landmark 57 (mouth and chin) sits at the mouth's height.
    """
    points = np.zeros((68, 2))
    for name in ("brows", "eyes", "nose", "chin", "mouth"):
        points[list(REGION_LANDMARKS[name])] = (24 * scale, heights[name] * scale)
    return points


HEIGHTS = {"brows": 8, "eyes": 12, "nose": 21, "mouth": 30, "chin": 44}  # chin's centre: (5·44 + 30) / 6 ≈ 41.7


def test_region_centres_are_mean_landmarks() -> None:
    centres = region_centres(np.stack([_face(HEIGHTS), np.full((68, 2), np.nan)]))
    assert centres.shape == (2, len(REGIONS), 2)
    assert centres[0, REGIONS.index("eyes")].tolist() == [24, 12]
    assert np.isclose(centres[0, REGIONS.index("chin"), 1], (5 * 44 + 30) / 6)
    assert np.isnan(centres[1]).all()


def test_regions_closer_than_two_steps_are_one_region() -> None:
    faces = np.stack([_face(HEIGHTS), _face(HEIGHTS), np.full((68, 2), np.nan)])  # a face without landmarks
    assert unresolved_groups(faces, step=4) == (("brows", "eyes"),)  # 4 px apart < 8; eyes-nose 9 is not
    assert unresolved_groups(faces, step=2) == ()  # 4 px is two steps: resolved
    # eyes-nose 9 and nose-mouth 9 < 10 join brows to the mouth through their neighbours; the chin is 11.7 away
    assert unresolved_groups(faces, step=5) == (("brows", "eyes", "nose", "mouth"),)


def test_the_same_face_at_twice_the_size_resolves_what_it_merged() -> None:
    small, large = np.stack([_face(HEIGHTS)]), np.stack([_face(HEIGHTS, scale=2.0)])
    assert unresolved_groups(small, step=4) == (("brows", "eyes"),)
    assert unresolved_groups(large, step=4) == ()


def test_the_median_face_decides() -> None:
    close = dict(HEIGHTS, brows=11)  # 1 px above the eyes
    far = dict(HEIGHTS, brows=4)  # 8 px above: resolved at step 4
    assert unresolved_groups(np.stack([_face(close), _face(far), _face(far)]), step=4) == ()
    assert unresolved_groups(np.stack([_face(close), _face(close), _face(far)]), step=4) == (("brows", "eyes"),)


def test_no_landmarks_merge_nothing() -> None:
    assert unresolved_groups(np.full((3, 68, 2), np.nan), step=4) == ()
