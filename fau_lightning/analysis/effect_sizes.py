"""How large an AU's evidence is, beside whether it passes: intervals from resampling whole people,
a grade against the positive control's own units, and whether a unit answers its AU more than any
other AU where the AUs come independently.
"""

import numpy as np

from fau_lightning.analysis.auroc import auroc_matrix, pooled_auroc, ranks_within
from fau_lightning.analysis.probes import NO_EMOTION
from fau_lightning.analysis.sequences import SequenceDesign

GRADES = ("strong", "clear", "weak")


def person_intervals(
    scores: np.ndarray,
    labels: np.ndarray,
    strata: np.ndarray,
    person: np.ndarray,
    resamples: int,
    seed: int = 0,
    level: float = 0.95,
) -> np.ndarray:
    """(K, 2) percentile interval of each column's pooled AUROC (scores and labels (N, K)) when the
    people are drawn again with replacement, each with all their images: the people, not the images,
    are what was sampled. NaN where fewer than two resamples give a value.
    """
    rng = np.random.default_rng(seed)
    images_of = np.split(np.argsort(person, kind="stable"), np.cumsum(np.bincount(person))[:-1])
    draws = np.empty((resamples, scores.shape[1]))
    for r in range(resamples):
        rows = np.concatenate([images_of[p] for p in rng.integers(len(images_of), size=len(images_of))])
        draws[r] = pooled_auroc(ranks_within(scores[rows], strata[rows]), labels[rows], strata[rows])
    tail = (1 - level) / 2 * 100
    with np.errstate(invalid="ignore"):
        enough = (~np.isnan(draws)).sum(axis=0) >= 2
        bounds = np.nanpercentile(np.where(enough, draws, 0.0), [tail, 100 - tail], axis=0).T
    return np.where(enough[:, None], bounds, np.nan)


def grade_thresholds(within_auroc: np.ndarray, recovered: np.ndarray) -> tuple[float, float]:
    """(strong, clear) thresholds from a positive control (the network trained on the AUs, judged at the
    same input size): the median and the weakest within-emotion AUROC of the best units of the AUs it
    recovers, floored to two decimals so that its own units reach them. Units of AUs it does not recover
    are left out: one at chance would put "clear" at chance.

    Args:
        within_auroc: each tested AU's best unit's within-emotion AUROC.
        recovered: whether the positive control recovers that AU.
    """
    values = np.asarray(within_auroc, dtype=float)[np.asarray(recovered, dtype=bool)]
    return float(np.floor(np.median(values) * 100) / 100), float(np.floor(values.min() * 100) / 100)


def grade(within_auroc: float, strong: float, clear: float) -> str:
    """A recovered AU's grade from its within-emotion AUROC: strong at or above `strong`, clear at or
    above `clear`, else weak (docs/fau_alignment.md says where the thresholds come from).
    """
    if within_auroc >= strong:
        return "strong"
    return "clear" if within_auroc >= clear else "weak"


def specificity(scores: np.ndarray, design: SequenceDesign, columns: np.ndarray) -> np.ndarray:
    """(T, T) AUROC of each tested AU's best unit (scores (N, T)) for every tested AU (`columns` of the
    design's labels), on the peak frames of sequences without an emotion label, where each AU is drawn
    on its own: row j, column k is AU j's unit answering AU k. NaN where an AU never or always shows.
    """
    unlabelled = design.apex & (design.emotion[design.index] == NO_EMOTION)
    return auroc_matrix(scores[unlabelled], design.labels[unlabelled][:, columns])
