"""A procedural grayscale face whose expression is made of FACS action units.

A face is drawn in a canonical frame (origin between the eyes, x to the image right, y down) from
its 68 iBUG landmarks, which each action unit moves; wrinkles, furrows and the open mouth are drawn
on top with darkness proportional to the AU's intensity. The canonical drawing is then warped into
the camera frame by a pose (roll, scale, translation), so the landmarks follow the drawn face.
"""

from dataclasses import dataclass

import cv2
import numpy as np

CANVAS_W, CANVAS_H = 256, 320
CANVAS_ORIGIN = np.array([128.0, 120.0])
AA = cv2.LINE_AA


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


def _au(expression: Expression, code: int) -> np.ndarray:
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
        left, right = _au(expression, code)
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


def _poly(points: np.ndarray) -> list[np.ndarray]:
    return [np.round(points * 4).astype(np.int32)]


def _to_canvas(points: np.ndarray) -> np.ndarray:
    return points + CANVAS_ORIGIN


def _line(img: np.ndarray, points: np.ndarray, value: float, thickness: float) -> None:
    """Anti-aliased polyline in canvas coordinates with sub-pixel precision (shift=2)."""
    cv2.polylines(img, _poly(_to_canvas(points)), False, float(value), max(1, int(round(thickness))), AA, 2)


def _fill(img: np.ndarray, points: np.ndarray, value: float) -> None:
    cv2.fillPoly(img, _poly(_to_canvas(points)), float(value), AA, 2)


def _arc(x0: float, x1: float, y: float, bend: float, n: int = 8) -> np.ndarray:
    xs = np.linspace(x0, x1, n)
    t = np.linspace(-1, 1, n)
    return np.stack([xs, y - bend * (1 - t**2)], axis=1)


def _wrinkles(img: np.ndarray, g: FaceGeometry, lm: np.ndarray, expression: Expression) -> None:
    """Furrows and wrinkles: each AU darkens its own region in proportion to its intensity."""
    skin = g.skin

    def crease(points: np.ndarray, strength: float, thickness: float = 2.6) -> None:
        if strength > 0.02:
            _line(img, points, skin * (1 - 0.7 * min(strength, 1.0)), thickness)

    i1, i2, i4 = (_au(expression, c).mean() for c in (1, 2, 4))
    brow_top = lm[17:27, 1].min()
    midline = (lm[21, 0] + lm[22, 0]) / 2
    for k, dy in enumerate((7, 13, 19)):
        crease(_arc(midline - 14, midline + 14, brow_top - dy, 1.5), i1 * (1 - 0.15 * k))
        for s in (-1, 1):
            crease(_arc(midline + s * 16, midline + s * 40, brow_top - dy + 2, 1.5), i2 * (1 - 0.15 * k))
    for x in (midline - 4, midline + 4):
        top, bottom = min(lm[21, 1], lm[22, 1]) - 4, max(lm[21, 1], lm[22, 1]) + 8
        crease(np.array([[x * 0.8, top], [x, bottom]]), i4, 1.8)
    i9 = _au(expression, 9).mean()
    for k in range(3):
        y = lm[27, 1] + 4 + 4 * k
        crease(_arc(-6, 6, y, -1.0, 5), i9)
    left6, right6 = _au(expression, 6)
    for s, level in ((-1, left6), (1, right6)):
        corner = lm[36] if s < 0 else lm[45]
        for angle in (-25, 0, 25):
            d = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))]) * np.array([s, 1])
            crease(np.stack([corner + d * 4, corner + d * 12]), level)
        cheek = np.array([s * g.eye_dx, g.eye_half_height + 9 - 4 * level])
        crease(_arc(cheek[0] - 9, cheek[0] + 9, cheek[1], -2.5, 6), 0.6 * level, 1.2)
    for s, lids in ((-1, [41, 40]), (1, [47, 46])):
        level7 = _au(expression, 7)[int(s > 0)]
        below = lm[lids] + np.array([0, 3.0])
        crease(np.stack([below[0] - [s * 6, 0], below[0], below[1], below[1] + [s * 6, 0]]), level7, 3.0)
    for s, corner, wing in ((-1, 48, 31), (1, 54, 35)):
        lvl = (
            0.12
            + 0.6 * max(_au(expression, 12)[int(s > 0)], _au(expression, 10)[int(s > 0)])
            + 0.25 * _au(expression, 9)[int(s > 0)]
        )
        start = lm[wing] + np.array([s * 5, -3])
        end = lm[corner] + np.array([s * 6, 4])
        mid = (start + end) / 2 + np.array([s * 5, 0])
        crease(np.stack([start, mid, end]), lvl, 1.8)
        crease(np.stack([lm[corner] + [s * 4, -6], lm[corner] + [s * 6, 6]]), _au(expression, 14)[int(s > 0)], 3)
    i17 = _au(expression, 17).mean()
    chin_y = (lm[57, 1] + lm[8, 1]) / 2
    crease(_arc(-9, 9, lm[57, 1] + 4, -2), 0.1 + 0.9 * i17, 2.2)
    for dx in (midline - 5, midline, midline + 5):
        if i17 > 0.05:
            cv2.circle(
                img, tuple(int(v) for v in _to_canvas(np.array([dx, chin_y]))), 2, skin * (1 - 0.6 * i17), -1, AA
            )


def _eye(img: np.ndarray, g: FaceGeometry, lm: np.ndarray, first: int) -> None:
    contour = lm[first : first + 6]
    mask = np.zeros_like(img)
    _fill(mask, contour, 1.0)
    layer = np.full_like(img, 0.88)
    centre = contour[[1, 2, 4, 5]].mean(axis=0)
    c = tuple(int(v) for v in _to_canvas(centre))
    r = int(round(g.eye_half_height * 1.25))
    cv2.circle(layer, c, r, g.iris, -1, AA)
    cv2.circle(layer, c, max(1, r // 2), 0.03, -1, AA)
    np.copyto(img, layer * mask + img * (1 - mask))
    _line(img, contour[[0, 1, 2, 3]], g.skin * 0.3, 2)
    _line(img, contour[[3, 4, 5, 0]], g.skin * 0.6, 1)


def _mouth(img: np.ndarray, g: FaceGeometry, lm: np.ndarray, pressed: float) -> None:
    """Lips, and the open mouth's dark gap and teeth; `pressed` (AU 23) hardens the line between the lips."""
    _fill(img, lm[48:60], g.skin * g.lip_tone)
    inner = lm[60:68]
    gap = lm[[65, 66, 67], 1].mean() - lm[[61, 62, 63], 1].mean()
    if gap > 1.0:
        _fill(img, inner, 0.08)
        teeth = inner[[0, 1, 2, 3, 4]].copy()
        lower = teeth.copy()
        lower[:, 1] += min(gap * 0.35, 5)
        _fill(img, np.concatenate([teeth, lower[::-1]]), 0.8)
    _line(img, inner[[0, 1, 2, 3, 4]], g.skin * (0.3 - 0.25 * pressed), 1.5 + 2 * pressed)
    if gap > 1.0:
        _line(img, inner[[4, 5, 6, 7, 0]], g.skin * 0.35, 1.2)


def render_canonical(g: FaceGeometry, lm: np.ndarray, expression: Expression) -> tuple[np.ndarray, np.ndarray]:
    """Draw the face on the canonical canvas; returns (intensity, alpha), both float32 (H, W)."""
    img = np.zeros((CANVAS_H, CANVAS_W), np.float32)
    alpha = np.zeros_like(img)
    top = g.centre_y - g.half_height
    neck = np.array(
        [[-0.55 * g.half_width, 40], [0.55 * g.half_width, 40], [0.75 * g.half_width, 200], [-0.75 * g.half_width, 200]]
    )
    hair = cv2.ellipse2Poly((0, int(top + 34)), (int(g.half_width + 9), int(g.half_height * 0.75)), 0, 180, 360, 10)
    for layer, value in ((img, g.skin * 0.8), (alpha, 1.0)):
        _fill(layer, neck, value)
    for layer, value in ((img, g.hair), (alpha, 1.0)):
        _fill(
            layer, np.concatenate([hair.astype(np.float64), [[g.half_width + 9, 30], [-g.half_width - 9, 30]]]), value
        )
    for s in (-1, 1):
        ear = cv2.ellipse2Poly((int(s * g.half_width), 8), (7, 14), 0, 0, 360, 20).astype(np.float64)
        for layer, value in ((img, g.skin * 0.85), (alpha, 1.0)):
            _fill(layer, ear, value)
    forehead_theta = np.linspace(0.12, np.pi - 0.12, 15)
    forehead = np.stack(
        [g.half_width * np.cos(forehead_theta) * 0.98, g.centre_y - g.half_height * np.sin(forehead_theta)], axis=1
    )
    face = np.concatenate([lm[0:17], forehead])
    for layer, value in ((img, g.skin), (alpha, 1.0)):
        _fill(layer, face, value)
    fringe = _arc(-g.half_width, g.half_width, top + 14 + g.fringe, -6, 12)
    _fill(img, np.concatenate([fringe, [[g.half_width, top - 10], [-g.half_width, top - 10]]]), g.hair)
    _line(img, np.array([[lm[28, 0] - 4, lm[28, 1]], [lm[30, 0] - 6, lm[30, 1]]]), g.skin * 0.8, 2)
    for s, nostril in ((-1, 32), (1, 34)):
        cv2.ellipse(
            img, tuple(int(v) for v in _to_canvas(lm[nostril] + [0, -1])), (3, 2), 0, 0, 360, g.skin * 0.35, -1, AA
        )
        _line(img, np.stack([lm[nostril] + [s * 2, -1], lm[31 if s < 0 else 35] + [s * 1, -6]]), g.skin * 0.7, 1.5)
    _wrinkles(img, g, lm, expression)
    _eye(img, g, lm, 36)
    _eye(img, g, lm, 42)
    for brow in (lm[17:22], lm[22:27]):
        _line(img, brow, g.hair * 0.8 + g.skin * 0.15, g.brow_thickness)
    _mouth(img, g, lm, float(_au(expression, 23).mean()))
    return img, alpha


@dataclass(frozen=True)
class Pose:
    """Canonical canvas -> camera frame: roll in degrees, scale, and where the eye midpoint lands.

    `yaw_shift` (canonical pixels) slides the inner features against the outline, as a head turn does.
    """

    roll: float
    scale: float
    centre_x: float
    centre_y: float
    yaw_shift: float = 0.0

    def matrix(self) -> np.ndarray:
        a = np.radians(self.roll)
        rot = self.scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        shift = np.array([self.centre_x, self.centre_y]) - rot @ CANVAS_ORIGIN
        return np.concatenate([rot, shift[:, None]], axis=1)


@dataclass(frozen=True)
class Nuisance:
    """Per-frame nuisance: a lighting gradient, a camera gamma, blur and sensor noise."""

    light_angle: float
    light_strength: float
    blur_sigma: float
    noise_sigma: float
    gamma: float = 1.0


def render_frame(
    g: FaceGeometry,
    expression: Expression,
    pose: Pose,
    nuisance: Nuisance,
    frame_size: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One camera frame (uint8, H x W) and its 68 landmarks in frame pixels."""
    width, height = frame_size
    lm = expressive_landmarks(g, expression, pose.yaw_shift)
    face, alpha = render_canonical(g, lm, expression)
    face = cv2.GaussianBlur(face, (0, 0), 0.8)
    m = pose.matrix()
    warped = cv2.warpAffine(face, m, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(alpha, m, (width, height), flags=cv2.INTER_LINEAR)
    frame = warped * mask + np.float32(g.background) * (1 - mask)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    direction = np.array([np.cos(nuisance.light_angle), np.sin(nuisance.light_angle)], np.float32)
    ramp = ((xs - width / 2) * direction[0] + (ys - height / 2) * direction[1]) / max(width, height)
    frame *= 1 + nuisance.light_strength * ramp
    frame = np.clip(frame, 0, 1) ** nuisance.gamma
    if nuisance.blur_sigma > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), nuisance.blur_sigma)
    frame += rng.normal(0, nuisance.noise_sigma, frame.shape).astype(np.float32)
    frame_landmarks = _to_canvas(lm) @ m[:, :2].T + m[:, 2]
    return np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8), frame_landmarks
