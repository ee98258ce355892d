"""How large an AU's evidence is, beside whether it passes: intervals from resampling whole people,
a grade against the positive control's own units, and whether a unit answers its AU more than any
other AU where the AUs come independently.
"""

import warnings
from collections.abc import Iterator

import numpy as np

from fau_lightning.analysis.auroc import auroc_matrix, pooled_auroc, ranks_within
from fau_lightning.analysis.probes import NO_EMOTION
from fau_lightning.analysis.sequences import SequenceDesign

GRADES = ("strong", "clear", "weak")
GRADE_LABELS = ("strong", "clear or strong", "weak to strong", "clear", "weak or clear", "weak")  # settled_grade's


def resampled_people(person: np.ndarray, resamples: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Row indices of `resamples` draws of the people (person (N,), 0..P-1) with replacement, each drawn
    person with all their images: the people, not the images, are what was sampled.
    """
    rng = np.random.default_rng(seed)
    images_of = np.split(np.argsort(person, kind="stable"), np.cumsum(np.bincount(person))[:-1])
    for _ in range(resamples):
        yield np.concatenate([images_of[p] for p in rng.integers(len(images_of), size=len(images_of))])


def percentile_interval(draws: np.ndarray, level: float = 0.95) -> np.ndarray:
    """(K, 2) percentile interval of each column of resampled values (R, K); NaN where fewer than two
    draws give a value.
    """
    tail = (1 - level) / 2 * 100
    with np.errstate(invalid="ignore"):
        enough = (~np.isnan(draws)).sum(axis=0) >= 2
        bounds = np.nanpercentile(np.where(enough, draws, 0.0), [tail, 100 - tail], axis=0).T
    return np.where(enough[:, None], bounds, np.nan)


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
    people are drawn again with replacement (`resampled_people`). NaN where fewer than two resamples
    give a value.
    """
    draws = np.array(
        [
            pooled_auroc(ranks_within(scores[rows], strata[rows]), labels[rows], strata[rows])
            for rows in resampled_people(person, resamples, seed)
        ]
    ).reshape(resamples, scores.shape[1])
    return percentile_interval(draws, level)


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
    """A within-emotion AUROC's grade: strong at or above `strong`, clear at or above `clear`, else weak
    (docs/fau_alignment.md says where the thresholds come from).
    """
    if within_auroc >= strong:
        return "strong"
    return "clear" if within_auroc >= clear else "weak"


def settled_grade(within_auroc: float, interval: tuple[float, float], strong: float, clear: float) -> str:
    """A detector's grade as far as its 95 % interval settles it: one grade when the interval lies within
    one band ("strong"), else the grades it spans ("clear or strong", "weak to strong"). Without an
    interval, the point's grade.
    """
    low, high = interval
    if np.isnan(low) or np.isnan(high):
        return grade(within_auroc, strong, clear)
    spanned = [g for g in GRADES if g in (grade(low, strong, clear), grade(high, strong, clear))]
    if len(spanned) == 1:
        return spanned[0]
    weaker, stronger = spanned[-1], spanned[0]
    return f"{weaker} {'or' if GRADES.index(weaker) - GRADES.index(stronger) == 1 else 'to'} {stronger}"


def specificity(scores: np.ndarray, design: SequenceDesign, columns: np.ndarray) -> np.ndarray:
    """(T, T) AUROC of each tested AU's best unit (scores (N, T)) for every tested AU (`columns` of the
    design's labels), on the peak frames of sequences without an emotion label, where each AU is drawn
    on its own: row j, column k is AU j's unit answering AU k. NaN where an AU never or always shows.
    """
    unlabelled = _independent_frames(design)
    return auroc_matrix(scores[unlabelled], design.labels[unlabelled][:, columns])


def specificity_margins(
    scores: np.ndarray, design: SequenceDesign, columns: np.ndarray, resamples: int, seed: int = 0
) -> np.ndarray:
    """(T, 2) 95 % interval of how much more each tested AU's best unit (scores (N, T)) answers its own AU than the
    strongest other tested AU (`specificity`'s diagonal minus its row's largest other entry), the people
    of those frames resampled. Above zero: the unit is specific; below: it answers another AU more; NaN
    where fewer than two resamples give a value.
    """
    unlabelled = _independent_frames(design)
    scores, labels = scores[unlabelled], design.labels[unlabelled][:, columns]
    _, person = np.unique(design.person[unlabelled], return_inverse=True)
    others = ~np.eye(scores.shape[1], len(columns), dtype=bool)
    draws = np.full((resamples, scores.shape[1]), np.nan)
    for r, rows in enumerate(resampled_people(person, resamples, seed)):
        answers = auroc_matrix(scores[rows], labels[rows])
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row with no other AU measured: NaN, as meant
            draws[r] = np.diagonal(answers) - np.nanmax(np.where(others, answers, np.nan), axis=1)
    return percentile_interval(draws)


def _independent_frames(design: SequenceDesign) -> np.ndarray:
    """The peak frames of sequences without an emotion label: where each AU is drawn on its own."""
    return design.apex & (design.emotion[design.index] == NO_EMOTION)
