"""A procedural grayscale face whose expression is made of FACS action units.

A face is drawn in a canonical frame from its 68 landmarks (synthetic/landmarks.py), which each action
unit moves; wrinkles, furrows and the open mouth are drawn on top with darkness proportional to the
AU's intensity. The canonical drawing is then warped into the camera frame by a pose (roll, scale,
translation), so the landmarks follow the drawn face.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from fau_lightning.synthetic.landmarks import (
    Expression,
    FaceGeometry,
    au_pair,
    expressive_landmarks,
)

CANVAS_W, CANVAS_H = 256, 320
CANVAS_ORIGIN = np.array([128.0, 120.0])
AA = cv2.LINE_AA


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

    i1, i2, i4 = (au_pair(expression, c).mean() for c in (1, 2, 4))
    brow_top = lm[17:27, 1].min()
    midline = (lm[21, 0] + lm[22, 0]) / 2
    for k, dy in enumerate((7, 13, 19)):
        crease(_arc(midline - 14, midline + 14, brow_top - dy, 1.5), i1 * (1 - 0.15 * k))
        for s in (-1, 1):
            crease(_arc(midline + s * 16, midline + s * 40, brow_top - dy + 2, 1.5), i2 * (1 - 0.15 * k))
    for x in (midline - 4, midline + 4):
        top, bottom = min(lm[21, 1], lm[22, 1]) - 4, max(lm[21, 1], lm[22, 1]) + 8
        crease(np.array([[x * 0.8, top], [x, bottom]]), i4, 1.8)
    i9 = au_pair(expression, 9).mean()
    for k in range(3):
        y = lm[27, 1] + 4 + 4 * k
        crease(_arc(-6, 6, y, -1.0, 5), i9)
    left6, right6 = au_pair(expression, 6)
    for s, level in ((-1, left6), (1, right6)):
        corner = lm[36] if s < 0 else lm[45]
        for angle in (-25, 0, 25):
            d = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))]) * np.array([s, 1])
            crease(np.stack([corner + d * 4, corner + d * 12]), level)
        cheek = np.array([s * g.eye_dx, g.eye_half_height + 9 - 4 * level])
        crease(_arc(cheek[0] - 9, cheek[0] + 9, cheek[1], -2.5, 6), 0.6 * level, 1.2)
    for s, lids in ((-1, [41, 40]), (1, [47, 46])):
        level7 = au_pair(expression, 7)[int(s > 0)]
        below = lm[lids] + np.array([0, 3.0])
        crease(np.stack([below[0] - [s * 6, 0], below[0], below[1], below[1] + [s * 6, 0]]), level7, 3.0)
    for s, corner, wing in ((-1, 48, 31), (1, 54, 35)):
        lvl = (
            0.12
            + 0.6 * max(au_pair(expression, 12)[int(s > 0)], au_pair(expression, 10)[int(s > 0)])
            + 0.25 * au_pair(expression, 9)[int(s > 0)]
        )
        start = lm[wing] + np.array([s * 5, -3])
        end = lm[corner] + np.array([s * 6, 4])
        mid = (start + end) / 2 + np.array([s * 5, 0])
        crease(np.stack([start, mid, end]), lvl, 1.8)
        crease(np.stack([lm[corner] + [s * 4, -6], lm[corner] + [s * 6, 6]]), au_pair(expression, 14)[int(s > 0)], 3)
    i17 = au_pair(expression, 17).mean()
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
    _mouth(img, g, lm, float(au_pair(expression, 23).mean()))
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
