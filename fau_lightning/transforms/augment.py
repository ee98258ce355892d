"""The paper's training augmentation, over albumentations 2.0.x (the only module that imports it).

Per image: horizontal flip (p = 0.5); rotation uniform in ±5°; scale uniform in 0.7–1.4 with a
translation that keeps the crop inside (at most |s - 1| / 2 of the side each way, so a zoomed-in
image still fills the frame and a zoomed-out one stays in it); then, on [0, 1] pixels,
img^a * b + c with a ~ U(0.25, 4), b ~ U(0.7, 1.4), c ~ U(-0.1, 0.1), min-max rescaled.

Note that the min-max rescale cancels b and c exactly: the intensity step's net effect is a random
gamma followed by a contrast stretch. We keep all three draws so the pipeline is the paper's.
Parameters are drawn from a numpy Generator we pass in (`sample_params`), so a run is reproducible
per seed; albumentations applies the geometry.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np

from fau_lightning.pixels import to_unit_float


@contextmanager
def _no_update_check() -> Iterator[None]:
    """Albumentations asks the network for a newer version when imported unless NO_ALBUMENTATIONS_UPDATE
    is set: set for the import (here, and in each data-loader worker that imports this module), then
    the environment is left as it was.
    """
    before = os.environ.get("NO_ALBUMENTATIONS_UPDATE")
    os.environ["NO_ALBUMENTATIONS_UPDATE"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["NO_ALBUMENTATIONS_UPDATE"]
        else:
            os.environ["NO_ALBUMENTATIONS_UPDATE"] = before


with _no_update_check():
    import albumentations as A


@dataclass(frozen=True)
class AugmentRanges:
    flip_p: float = 0.5
    max_rotation: float = 5.0  # degrees, each way
    scale: tuple[float, float] = (0.7, 1.4)
    power: tuple[float, float] = (0.25, 4.0)  # a
    gain: tuple[float, float] = (0.7, 1.4)  # b
    offset: tuple[float, float] = (-0.1, 0.1)  # c


@dataclass(frozen=True)
class AugmentParams:
    flip: bool
    rotation: float
    scale: float
    shift_x: float  # share of the side
    shift_y: float
    power: float
    gain: float
    offset: float


def sample_params(rng: np.random.Generator, r: AugmentRanges = AugmentRanges()) -> AugmentParams:
    scale = rng.uniform(*r.scale)
    room = abs(scale - 1) / 2
    return AugmentParams(
        flip=bool(rng.random() < r.flip_p),
        rotation=rng.uniform(-r.max_rotation, r.max_rotation),
        scale=scale,
        shift_x=rng.uniform(-room, room),
        shift_y=rng.uniform(-room, room),
        power=rng.uniform(*r.power),
        gain=rng.uniform(*r.gain),
        offset=rng.uniform(*r.offset),
    )


def apply_params(image: np.ndarray, p: AugmentParams) -> np.ndarray:
    """uint8 (H, W) -> float32 (H, W) in [0, 1]."""
    geometry = A.Compose(
        [
            A.HorizontalFlip(p=1.0 if p.flip else 0.0),
            A.Affine(
                scale=(p.scale, p.scale),
                rotate=(p.rotation, p.rotation),
                translate_percent={"x": (p.shift_x, p.shift_x), "y": (p.shift_y, p.shift_y)},
                border_mode=cv2.BORDER_REFLECT_101,
                p=1.0,
            ),
        ]
    )
    warped = to_unit_float(geometry(image=image)["image"]).numpy()
    jittered = np.power(warped, p.power) * p.gain + p.offset
    low, high = jittered.min(), jittered.max()
    return (jittered - low) / (high - low) if high > low else np.zeros_like(jittered)


class PaperAugmentation:
    """Callable augmenter with its own generator, for augmenting images one by one outside training."""

    def __init__(self, ranges: AugmentRanges = AugmentRanges(), seed: int = 0) -> None:
        self.ranges = ranges
        self.rng = np.random.default_rng(seed)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return apply_params(image, sample_params(self.rng, self.ranges))
