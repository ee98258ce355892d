"""Where a unit looks, judged fairly: its share of peaks in a facial region against that region's base rate.

The base rate is the share of *all* units' peaks found in the region: a large region near the image
centre collects many peaks from any unit, so a unit is credited with looking at a region only when
it lands there clearly more often than units in general do.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

NO_REGION = -1  # the response came from none of the regions
UNKNOWN = -2  # the image has no landmarks: not counted at all


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
