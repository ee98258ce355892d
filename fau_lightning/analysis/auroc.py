"""Areas under the ROC curve from ranks: all filters against all AUs, and pooled within strata.

AUROC is the Mann-Whitney statistic: the share of (positive, negative) pairs that the score puts in
the right order, ties counting half. Within strata it counts only pairs from the same stratum, so a
score that only tells strata apart (an emotion detector, say) sits at 0.5 however well the strata
predict the label.
"""

import numpy as np
from scipy.stats import rankdata


def auroc_matrix(scores: np.ndarray, labels: np.ndarray, strata: np.ndarray | None = None) -> np.ndarray:
    """(F, U) AUROC of each filter's score (N, F) for each AU (N, U), counting only pairs within a
    stratum (N,) when strata are given; NaN where no stratum holds both a positive and a negative.
    """
    strata = np.zeros(len(scores), np.int64) if strata is None else np.asarray(strata)
    ranks = ranks_within(np.asarray(scores, np.float64), strata)  # (N, F)
    labels = np.asarray(labels, np.float64)
    tied_pairs, pairs = _pair_counts(labels, strata)  # (U,) each
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs[:, None] > 0, (labels.T @ ranks - tied_pairs[:, None]) / pairs[:, None], np.nan).T


def ranks_within(scores: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """(N, K) average ranks of each score column (N, K) among the images of its own stratum (N,)."""
    ranks = np.empty(scores.shape, dtype=np.float64)
    for stratum in np.unique(strata):
        rows = strata == stratum
        ranks[rows] = rankdata(scores[rows], axis=0)
    return ranks


def _pair_counts(labels: np.ndarray, strata: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For labels (..., N, K): the rank sum that positives reach among themselves, summed over strata
    (p (p + 1) / 2 each), and the number of (positive, negative) pairs within strata, both (..., K).
    """
    one_hot = (np.unique(strata)[:, None] == strata[None, :]).astype(np.float64)  # (S, N)
    positives = one_hot @ labels  # (..., S, K)
    sizes = one_hot.sum(axis=1)[:, None]  # (S, 1)
    return (positives * (positives + 1) / 2).sum(axis=-2), (positives * (sizes - positives)).sum(axis=-2)


def pooled_auroc(ranks: np.ndarray, labels: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """AUROC of each column pooled over strata, for labels (..., N, K) with any leading axes (shuffles).

    ranks: (N, K) from `ranks_within` over the same strata. Each stratum adds its correctly ordered
    pairs and its pair count; strata without positives or without negatives add nothing. NaN where
    no stratum has both.
    """
    labels = np.asarray(labels)
    tied_pairs, pairs = _pair_counts(labels, strata)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, ((labels * ranks).sum(axis=-2) - tied_pairs) / pairs, np.nan)


def stratified_auroc(scores: np.ndarray, labels: np.ndarray, strata: np.ndarray | None = None) -> np.ndarray:
    """(K,) AUROC of each score column (N, K) for its label column (N, K), counting only pairs within a stratum."""
    strata = np.zeros(len(scores), np.int64) if strata is None else np.asarray(strata)
    return pooled_auroc(ranks_within(np.asarray(scores, np.float64), strata), np.asarray(labels, np.float64), strata)
