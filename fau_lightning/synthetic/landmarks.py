"""A face's shape: its 68 iBUG landmarks in a canonical frame, at rest and as action units move them.

The canonical frame has its origin between the eyes, x to the image right and y down.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FaceGeometry:
    """One subject's face, in canonical pixels, and its tones in [0, 1]."""

    half_width: float
    half_height: float
    centre_y: float
    chin_narrowing: float
    eye_dx: float
    eye_half_width: float
    eye_half_height: float
    brow_gap: float
    brow_half_length: float
    brow_thickness: int
    brow_arch: float
    nose_tip_y: float
    nose_half_width: float
    mouth_y: float
    mouth_half_width: float
    upper_lip: float
    lower_lip: float
    fringe: float
    skin: float
    hair: float
    lip_tone: float
    iris: float
    background: float

    @staticmethod
    def sample(rng: np.random.Generator) -> "FaceGeometry":
        skin = rng.uniform(0.45, 0.8)
        background = rng.uniform(0.05, 0.95)
        while abs(background - skin) < 0.15:
            background = rng.uniform(0.05, 0.95)
        return FaceGeometry(
            half_width=rng.uniform(56, 70),
            half_height=rng.uniform(78, 94),
            centre_y=rng.uniform(18, 26),
            chin_narrowing=rng.uniform(0.1, 0.3),
            eye_dx=rng.uniform(22, 32),
            eye_half_width=rng.uniform(10, 13),
            eye_half_height=rng.uniform(3.5, 5.0),
            brow_gap=rng.uniform(11, 18),
            brow_half_length=rng.uniform(13, 17),
            brow_thickness=int(rng.integers(3, 6)),
            brow_arch=rng.uniform(2, 5),
            nose_tip_y=rng.uniform(28, 39),
            nose_half_width=rng.uniform(10, 13),
            mouth_y=rng.uniform(50, 64),
            mouth_half_width=rng.uniform(16, 24),
            upper_lip=rng.uniform(4, 6),
            lower_lip=rng.uniform(5, 7.5),
            fringe=rng.uniform(0, 22),
            skin=skin,
            hair=rng.uniform(0.03, 0.35),
            lip_tone=rng.uniform(0.62, 0.78),
            iris=rng.uniform(0.1, 0.4),
            background=background,
        )


# Action-unit intensities: AU code -> (subject's right side = image left, subject's left side).
Expression = dict[int, tuple[float, float]]


def au_pair(expression: Expression, code: int) -> np.ndarray:
    """Intensity of an AU on (image-left, image-right) sides."""
    return np.asarray(expression.get(code, (0.0, 0.0)), dtype=np.float64)


def neutral_landmarks(g: FaceGeometry) -> np.ndarray:
    """The 68 iBUG landmarks of the neutral face, canonical coordinates, shape (68, 2)."""
    pts = np.zeros((68, 2))
    theta = np.linspace(np.pi + 0.12, -0.12, 17)
    below = np.clip(np.sin(theta), 0, None)
    pts[0:17, 0] = g.half_width * np.cos(theta) * (1 - g.chin_narrowing * below**2)
    pts[0:17, 1] = g.centre_y + g.half_height * np.sin(theta)
    u = np.array([1.0, 0.5, 0.0, -0.5, -1.0])  # brow outer -> inner
    for side, idx in ((-1, range(17, 22)), (1, range(26, 21, -1))):
        pts[list(idx), 0] = side * (g.eye_dx + g.brow_half_length * u)
        pts[list(idx), 1] = -g.brow_gap - g.brow_arch * (1 - u**2)
    pts[27:31, 0] = 0
    pts[27:31, 1] = np.linspace(-1, g.nose_tip_y - 5, 4)
    pts[31:36, 0] = np.linspace(-g.nose_half_width, g.nose_half_width, 5) * np.array([1, 0.6, 0, 0.6, 1]) + (
        np.array([0, -0.2, 0, 0.2, 0]) * g.nose_half_width
    )
    pts[31:36, 1] = g.nose_tip_y + np.array([1, 3, 4, 3, 1])
    for side, first in ((-1, 36), (1, 42)):
        cx, hw, hh = side * g.eye_dx, g.eye_half_width, g.eye_half_height
        outer, inner = (cx + side * hw, 0.0), (cx - side * hw, 0.0)
        up_o, up_i = (cx + side * hw / 3, -hh), (cx - side * hw / 3, -hh)
        lo_i, lo_o = (cx - side * hw / 3, 0.8 * hh), (cx + side * hw / 3, 0.8 * hh)
        order = [outer, up_o, up_i, inner, lo_i, lo_o] if side < 0 else [inner, up_i, up_o, outer, lo_o, lo_i]
        pts[first : first + 6] = order
    my, hw, up, lo = g.mouth_y, g.mouth_half_width, g.upper_lip, g.lower_lip
    pts[48:60] = [
        (-hw, my),
        (-0.6 * hw, my - 0.8 * up),
        (-0.25 * hw, my - 1.1 * up),
        (0, my - 0.9 * up),
        (0.25 * hw, my - 1.1 * up),
        (0.6 * hw, my - 0.8 * up),
        (hw, my),
        (0.6 * hw, my + 0.85 * lo),
        (0.25 * hw, my + lo),
        (0, my + 1.05 * lo),
        (-0.25 * hw, my + lo),
        (-0.6 * hw, my + 0.85 * lo),
    ]
    pts[60:68] = [
        (-0.85 * hw, my),
        (-0.3 * hw, my),
        (0, my),
        (0.3 * hw, my),
        (0.85 * hw, my),
        (0.3 * hw, my),
        (0, my),
        (-0.3 * hw, my),
    ]
    return pts


BROWS_RIGHT, BROWS_LEFT = list(range(17, 22)), list(range(22, 27))
UPPER_LIDS, LOWER_LIDS = [37, 38, 43, 44], [40, 41, 46, 47]
CORNERS = [48, 54, 60, 64]
NEAR_CORNERS = [49, 53, 55, 59]
UPPER_LIP_OUTER, LOWER_LIP_OUTER = list(range(49, 54)), list(range(55, 60))
UPPER_LIP_INNER, LOWER_LIP_INNER = [61, 62, 63], [65, 66, 67]
CHIN = list(range(5, 12))


def expressive_landmarks(g: FaceGeometry, expression: Expression, yaw_shift: float = 0.0) -> np.ndarray:
    """Neutral landmarks moved by each AU, with each side moved by that side's intensity.

    `yaw_shift` fakes a head turn: the inner features slide sideways against the face outline,
    the nose (which stands out) further than the rest.
    """
    pts = neutral_landmarks(g)
    side = np.sign(pts[:, 0])  # -1 image left, +1 image right, 0 midline

    def level(code: int, idx: list[int]) -> np.ndarray:
        left, right = au_pair(expression, code)
        s = side[idx]
        return np.where(s < 0, left, np.where(s > 0, right, (left + right) / 2))

    brow = BROWS_RIGHT + BROWS_LEFT
    outerness = np.array([1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0])
    pts[brow, 1] -= 11 * level(1, brow) * (1 - outerness)
    pts[brow, 1] -= 11 * level(2, brow) * outerness
    pts[brow, 1] += level(4, brow) * (4.5 + 5 * (1 - outerness))
    pts[brow, 0] -= side[brow] * 7 * level(4, brow) * (1 - outerness)
    pts[UPPER_LIDS, 1] -= 4.5 * level(5, UPPER_LIDS)
    pts[LOWER_LIDS, 1] -= 2.5 * level(6, LOWER_LIDS) + 6.5 * level(7, LOWER_LIDS)
    pts[UPPER_LIDS, 1] += 2.5 * level(7, UPPER_LIDS)
    nostrils = list(range(31, 36))
    pts[nostrils, 1] -= 4 * level(9, nostrils)
    pts[[20, 21, 22, 23], 1] += 2 * level(9, [20, 21, 22, 23])
    pts[UPPER_LIP_OUTER, 1] -= 2 * level(9, UPPER_LIP_OUTER) + 8 * level(10, UPPER_LIP_OUTER)
    pts[UPPER_LIP_INNER, 1] -= 5 * level(10, UPPER_LIP_INNER)
    for code, dx, dy, near_dx, near_dy in (
        (12, 7, -9, 3, -4),
        (14, -5, -2, -2.5, 0),
        (15, 0, 10, 0, 5),
        (20, 15, 1.5, 7.5, 0),
    ):
        pts[CORNERS, 0] += side[CORNERS] * dx * level(code, CORNERS)
        pts[CORNERS, 1] += dy * level(code, CORNERS)
        pts[NEAR_CORNERS, 0] += side[NEAR_CORNERS] * near_dx * level(code, NEAR_CORNERS)
        pts[NEAR_CORNERS, 1] += near_dy * level(code, NEAR_CORNERS)
    lower_lip = LOWER_LIP_OUTER + LOWER_LIP_INNER
    pts[lower_lip, 1] += 10 * level(16, lower_lip) - 5 * level(17, lower_lip)
    pts[CHIN, 1] -= 5 * level(17, CHIN)
    thin = level(20, UPPER_LIP_OUTER) + 3 * level(23, UPPER_LIP_OUTER)
    pts[UPPER_LIP_OUTER, 1] += 1.8 * thin
    pts[LOWER_LIP_OUTER, 1] -= 1.8 * (level(20, LOWER_LIP_OUTER) + 3 * level(23, LOWER_LIP_OUTER))
    pts[CORNERS, 0] -= side[CORNERS] * 4 * level(23, CORNERS)
    part = 5 * level(25, UPPER_LIP_INNER)
    pts[UPPER_LIP_INNER, 1] -= part + 1.0 * level(26, UPPER_LIP_INNER)
    drop = 5 * level(25, lower_lip) + 14 * level(26, lower_lip)
    pts[lower_lip, 1] += drop
    jaw = list(range(17))
    below = np.clip((pts[jaw, 1] - g.centre_y) / g.half_height, 0, None)
    pts[jaw, 1] += 14 * level(26, jaw) * below**1.5
    pts[17:68, 0] += yaw_shift
    pts[27:36, 0] += 0.5 * yaw_shift
    return pts
