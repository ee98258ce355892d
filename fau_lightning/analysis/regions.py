"""Where a unit looks, judged fairly: its share of peaks in a facial region against that region's base rate.

The base rate is the share of *all* units' peaks found in the region: a large region near the image
centre collects many peaks from any unit, so a unit is credited with looking at a region only when
it lands there clearly more often than units in general do. Regions closer together than a layer
can resolve are one region for that layer (`unresolved_groups`).
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from fau_lightning.facs import REGION_LANDMARKS

REGIONS = tuple(REGION_LANDMARKS)
NO_REGION = -1  # the response came from none of the regions
UNKNOWN = -2  # the image has no landmarks: not counted at all


def region_centres(landmarks: np.ndarray) -> np.ndarray:
    """(N, R, 2) each region's mean landmark position in each image (REGIONS order; NaN without landmarks)."""
    return np.stack([landmarks[:, list(REGION_LANDMARKS[name])].mean(axis=1) for name in REGIONS], axis=1)


def unresolved_groups(landmarks: np.ndarray, step: float) -> tuple[tuple[str, ...], ...]:
    """Regions that units `step` pixels apart cannot tell apart, in groups of two or more (REGIONS order).

    Units that sample the image every `step` pixels resolve no detail finer than two steps (the
    sampling theorem), so two regions whose centres lie less than two steps apart, by the median over
    the images with landmarks, are one region to them; groups are joined through shared members.
    """
    centres = region_centres(landmarks)
    centres = centres[~np.isnan(centres).any(axis=(1, 2))]
    group = list(range(len(REGIONS)))  # each region's group label
    if len(centres):
        for a in range(len(REGIONS)):
            for b in range(a + 1, len(REGIONS)):
                if np.median(np.linalg.norm(centres[:, a] - centres[:, b], axis=1)) < 2 * step:
                    group = [group[a] if g == group[b] else g for g in group]
    members = [tuple(REGIONS[r] for r in range(len(REGIONS)) if group[r] == g) for g in dict.fromkeys(group)]
    return tuple(m for m in members if len(m) > 1)


@dataclass(frozen=True)
class RegionEvidence:
    share: float  # share of the unit's peaks in the target regions
    base_rate: float  # share of all units' peaks there
    p_value: float  # one-sided binomial: this many peaks or more at the base rate


def region_test(unit_regions: np.ndarray, all_regions: np.ndarray, targets: list[int]) -> RegionEvidence:
    """Peaks of one unit (region index per peak) against all units' peaks, for the target regions."""
    mine = unit_regions[unit_regions != UNKNOWN]
    everyone = all_regions[all_regions != UNKNOWN]
    if not len(mine) or not len(everyone):
        return RegionEvidence(float("nan"), float("nan"), float("nan"))
    hits = int(np.isin(mine, targets).sum())
    base = float(np.isin(everyone, targets).mean())
    return RegionEvidence(hits / len(mine), base, float(binom.sf(hits - 1, len(mine), base)))


@dataclass(frozen=True)
class RegionMap:
    """The facial regions that `LayerScores.regions` indexes, the regions each AU acts on, and the
    groups of regions the layer cannot tell apart (`regions.unresolved_groups`), tested as one.
    """

    names: tuple[str, ...]  # region index -> name
    au_regions: dict[int, tuple[str, ...]]  # AU -> the regions it acts on
    groups: tuple[tuple[str, ...], ...] = ()  # regions merged for this layer; each region in at most one

    def name(self, index: int) -> str:
        return self.names[index] if index >= 0 else "elsewhere"

    def group_of(self, region: str) -> tuple[str, ...]:
        return next((group for group in self.groups if region in group), (region,))

    def targets(self, au: int) -> list[int]:
        """Indices of the AU's regions and of the regions merged with them."""
        merged = {name for region in self.au_regions[au] for name in self.group_of(region)}
        return sorted(self.names.index(name) for name in merged)

    def describe(self, au: int) -> str:
        """The AU's regions as tested: "mouth / chin", or "brows+eyes" where the layer merges them."""
        return " / ".join(dict.fromkeys("+".join(self.group_of(region)) for region in self.au_regions[au]))
