"""AUROC by counting pairs, the definition the fast code must match."""

import numpy as np


def brute_force_auroc(score: np.ndarray, label: np.ndarray, strata: np.ndarray | None = None) -> float:
    strata = np.zeros(len(score)) if strata is None else strata
    wins = pairs = 0.0
    for i in np.flatnonzero(label):
        for j in np.flatnonzero(~label):
            if strata[i] == strata[j]:
                pairs += 1
                wins += 1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0
    return wins / pairs
