"""The four tests a unit must pass for its AU to count as recovered, one function each, each returning a
named result; `VerdictTest` names them for the report, W&B and the scripts alike.

Every function works on plain arrays: `scores` (N, T) are the held-out images' responses of each tested
AU's best unit, `tested` the AU columns of the sequence design they answer.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

from fau_lightning.analysis.auroc import pooled_auroc, ranks_within
from fau_lightning.analysis.effect_sizes import person_intervals
from fau_lightning.analysis.regions import UNKNOWN, RegionMap, region_test
from fau_lightning.analysis.sequences import SequenceDesign
from fau_lightning.analysis.settings import AlignmentSettings


class VerdictTest(StrEnum):
    """The tests in the order they are reported (`AUVerdict.failed` lists those not passed)."""

    CHANCE = "chance"
    CONTROL = "control"
    WITHIN_EMOTION = "within emotion"
    REGION = "region"


@dataclass(frozen=True)
class ShuffleTest:
    """Each tested AU's held-out AUROC against chance from shuffled sequences."""

    auroc: np.ndarray  # (T,)
    chance: np.ndarray  # (T,) the corrected chance line (Bonferroni over the T AUs)
    interval: np.ndarray  # (T, 2) 95 % interval of `auroc`, resampling the held-out people
    passed: np.ndarray  # (T,) bool


def corrected_quantile(null: np.ndarray, tests: int, alpha: float) -> np.ndarray:
    """(U,) the 1 - alpha / tests quantile of each column of a null distribution (S, U)."""
    return np.nanquantile(null, 1 - alpha / max(tests, 1), axis=0)


def shuffle_test(
    scores: np.ndarray,
    design: SequenceDesign,
    tested: np.ndarray,
    settings: AlignmentSettings,
    within_emotion: bool,
    halfway: Callable[[], None] = lambda: None,
) -> ShuffleTest:
    """The chance test (`within_emotion` False): AUROC over all held-out images against shuffles of
    whole sequences' AU sets. The within-emotion test (True): AUROC inside emotion strata, pooled, against
    shuffles between sequences of the same emotion; an AU with fewer than `min_sequences` positive
    sequences in strata that also hold a negative one cannot pass it. `halfway()` is called between its
    two costly parts: the shuffles, then the resampling of people behind each AUROC's interval.
    """
    labels = design.labels[:, tested]
    strata = design.strata if within_emotion else np.zeros(len(scores), np.int64)
    ranks = ranks_within(scores, strata)
    shuffled = design.shuffled_labels(settings.shuffles, settings.seed + within_emotion, within_emotion)[..., tested]
    auroc = pooled_auroc(ranks, labels, strata)
    chance = corrected_quantile(pooled_auroc(ranks, shuffled, strata), len(tested), settings.alpha)
    halfway()
    interval = person_intervals(scores, labels, strata, design.person, settings.resamples, settings.seed)
    passed = auroc > chance
    if within_emotion:
        passed &= design.within_emotion_positives()[tested] >= settings.min_sequences
    return ShuffleTest(auroc=auroc, chance=chance, interval=np.asarray(interval), passed=passed)


@dataclass(frozen=True)
class ControlTest:
    """Each AU's held-out AUROC against the untrained networks' AUROCs for it."""

    mean: np.ndarray  # (T,)
    sd: np.ndarray  # (T,)
    p_value: np.ndarray  # (T,) one-sided: an untrained network drawn from the same distribution does as well
    passed: np.ndarray  # (T,) bool, Holm-corrected over the T AUs


def control_test(auroc: np.ndarray, controls: np.ndarray, alpha: float) -> ControlTest:
    """`auroc` (T,) against `controls` (C, T), one row per untrained network.

    A new untrained network's AUROC, if they are normal, lies above mean + t·sd·sqrt(1 + 1/C) with
    the t distribution's tail probability (a prediction bound; C - 1 degrees of freedom), so an
    untrained network passes for any one AU with chance p and, after Holm's step-down correction,
    for any of the T AUs with chance at most `alpha`. With fewer than two controls nothing passes.
    """
    count, tests = len(controls), auroc.shape[0]
    if count < 2:
        nan = np.full(tests, np.nan)
        mean = controls.mean(axis=0) if count else nan
        return ControlTest(mean=mean, sd=nan, p_value=nan, passed=np.zeros(tests, bool))
    mean, sd = controls.mean(axis=0), controls.std(axis=0, ddof=1)
    scale = np.maximum(sd, 1e-12) * np.sqrt(1 + 1 / count)
    p_value = stats.t.sf((auroc - mean) / scale, df=count - 1)
    return ControlTest(mean=mean, sd=sd, p_value=p_value, passed=holm(p_value, alpha))


def holm(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down: reject the smallest p-values in turn while the i-th smallest is at most alpha / (T - i)."""
    passed = np.zeros(len(p_values), bool)
    for rank, index in enumerate(np.argsort(p_values, kind="stable")):
        if not p_values[index] <= alpha / (len(p_values) - rank):
            break
        passed[index] = True
    return passed


@dataclass(frozen=True)
class RegionTest:
    """Where one unit's response comes from in its strongest held-out sequences, against its AU's region."""

    region: str  # the AU's region(s) as tested: "brows+eyes" where the layer cannot tell them apart
    share: float  # share of the unit's top-K peaks in that region (NaN: nothing could be placed)
    base_rate: float  # share of all units' top-K peaks there
    found_in: str  # the region holding most of the unit's peaks
    passed: bool


def unit_region_test(
    unit: int, au: int, peaks: np.ndarray | None, regions: RegionMap | None, alpha: float
) -> RegionTest:
    """The region test of `unit` for `au`, from `peaks` (U, K): the region index of each unit's peak frames.
    Without occlusion evidence, or where the layer merges every region, nothing can be placed and it fails.
    """
    known = regions is not None and au in regions.au_regions
    region, targets = (regions.describe(au), regions.targets(au)) if known else ("", [])
    if peaks is None or not 0 < len(targets) < len(regions.names):
        return RegionTest(region=region, share=float("nan"), base_rate=float("nan"), found_in="", passed=False)
    evidence = region_test(peaks[unit], peaks.ravel(), targets)
    mine = peaks[unit][peaks[unit] != UNKNOWN]
    found = regions.name(int(np.bincount(mine + 1).argmax()) - 1) if len(mine) else ""
    return RegionTest(
        region=region,
        share=evidence.share,
        base_rate=evidence.base_rate,
        found_in=found,
        passed=bool(evidence.p_value < alpha),
    )
