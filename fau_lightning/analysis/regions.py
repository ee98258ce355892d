"""Where a filter looks, judged fairly: facial regions from landmarks, merged where a layer's unit
grid cannot tell them apart, and a filter's share of peaks in a region against that region's base rate.

The base rate is the share of *all* filters' peaks that land in the region: a large region near the
image centre collects many peaks from any filter, so a filter is credited with looking at a region
only when it lands there clearly more often than filters in general do.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from fau_lightning.data.facs import REGION_LANDMARKS


def region_centres(landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """Region name -> (N, 2) x, y of the mean of its landmarks in each image (NaN without landmarks)."""
    return {name: landmarks[:, list(indices)].mean(axis=1) for name, indices in REGION_LANDMARKS.items()}


def merge_regions(centres: dict[str, np.ndarray], min_separation: float) -> list[tuple[str, ...]]:
    """Groups of regions whose typical centres (median over images) lie closer than `min_separation`
    pixels, chained: a unit whose peak is known to a grid step cannot say which of them it is in."""
    names = list(centres)
    typical = {n: np.nanmedian(centres[n], axis=0) for n in names}
    group = {n: i for i, n in enumerate(names)}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if np.linalg.norm(typical[a] - typical[b]) < min_separation and group[a] != group[b]:
                old, new = group[b], group[a]
                group = {n: new if g == old else g for n, g in group.items()}
    return [tuple(n for n in names if group[n] == g) for g in sorted(set(group.values()))]


def nearest_group(points: np.ndarray, centres: dict[str, np.ndarray], groups: list[tuple[str, ...]]) -> np.ndarray:
    """(M,) index into `groups` of the region nearest each point (M, 2), per image (centres (M, 2) each); -1 where unknown."""
    names = [n for g in groups for n in g]
    group_of = np.array([i for i, g in enumerate(groups) for _ in g])
    distance = np.stack([np.linalg.norm(points - centres[n], axis=1) for n in names])  # (R, M)
    known = ~np.isnan(distance).any(axis=0)
    nearest = np.full(len(points), -1)
    nearest[known] = group_of[np.argmin(distance[:, known], axis=0)]
    return nearest


def group_name(group: tuple[str, ...]) -> str:
    return "+".join(group)


@dataclass(frozen=True)
class RegionEvidence:
    share: float  # share of the filter's peaks in the target regions
    base_rate: float  # share of all filters' peaks there
    p_value: float  # one-sided binomial: this many peaks or more at the base rate


def region_test(filter_groups: np.ndarray, all_groups: np.ndarray, targets: list[int]) -> RegionEvidence:
    """Peaks of one filter (group index per peak) against all filters' peaks, for the target groups."""
    mine = filter_groups[filter_groups >= 0]
    everyone = all_groups[all_groups >= 0]
    if not len(mine) or not len(everyone):
        return RegionEvidence(float("nan"), float("nan"), float("nan"))
    hits = int(np.isin(mine, targets).sum())
    base = float(np.isin(everyone, targets).mean())
    return RegionEvidence(hits / len(mine), base, float(binom.sf(hits - 1, len(mine), base)))
