"""FACS vocabulary: action units, the facial region each one acts on, and the emotion prototypes.

Regions are named by groups of the 68 iBUG landmarks that CK+ ships, so analysis code can turn
"AU 12 acts on the mouth" into a box in image coordinates.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionUnit:
    code: int
    name: str
    regions: tuple[str, ...]


ACTION_UNITS: dict[int, ActionUnit] = {
    au.code: au
    for au in (
        ActionUnit(1, "inner brow raiser", ("brows",)),
        ActionUnit(2, "outer brow raiser", ("brows",)),
        ActionUnit(4, "brow lowerer", ("brows",)),
        ActionUnit(5, "upper lid raiser", ("eyes",)),
        ActionUnit(6, "cheek raiser", ("eyes",)),
        ActionUnit(7, "lid tightener", ("eyes",)),
        ActionUnit(9, "nose wrinkler", ("nose",)),
        ActionUnit(10, "upper lip raiser", ("mouth",)),
        ActionUnit(12, "lip corner puller", ("mouth",)),
        ActionUnit(14, "dimpler", ("mouth",)),
        ActionUnit(15, "lip corner depressor", ("mouth",)),
        ActionUnit(16, "lower lip depressor", ("mouth",)),
        ActionUnit(17, "chin raiser", ("chin", "mouth")),  # pushes the chin boss and the lower lip up
        ActionUnit(20, "lip stretcher", ("mouth",)),
        ActionUnit(23, "lip tightener", ("mouth",)),
        ActionUnit(25, "lips part", ("mouth",)),
        ActionUnit(26, "jaw drop", ("mouth", "chin")),
    )
}

# iBUG 68-point indices of each facial region (0-based, as in the CK+ landmark files).
REGION_LANDMARKS: dict[str, tuple[int, ...]] = {
    "brows": tuple(range(17, 27)),
    "eyes": tuple(range(36, 48)),
    "nose": tuple(range(27, 36)),
    "mouth": tuple(range(48, 68)),
    "chin": (6, 7, 8, 9, 10, 57),
}

# EMFACS prototypes (CK+ emotion code -> AUs); contempt is unilateral.
EMOTION_PROTOTYPES: dict[int, tuple[int, ...]] = {
    1: (4, 5, 7, 23),  # anger
    2: (12, 14),  # contempt (one side)
    3: (9, 15, 16),  # disgust
    4: (1, 2, 4, 5, 7, 20, 26),  # fear
    5: (6, 12),  # happy
    6: (1, 4, 15),  # sadness
    7: (1, 2, 5, 26),  # surprise
}
