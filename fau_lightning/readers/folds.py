"""Subject-independent folds: sorted subjects, subject i -> fold i mod n."""

import numpy as np

from fau_lightning.errors import SettingError


def subject_folds(all_subjects: np.ndarray, num_folds: int = 10) -> dict[str, int]:
    return {subject: i % num_folds for i, subject in enumerate(sorted(all_subjects))}


def split_masks(
    subjects: np.ndarray, all_subjects: np.ndarray, fold: int, num_folds: int = 10
) -> dict[str, np.ndarray]:
    """Boolean masks over images: test = fold k, val = fold (k+1) mod n, train = the rest."""
    if not 0 <= fold < num_folds:
        raise SettingError(f"fold: must be in 0..{num_folds - 1} for {num_folds} folds, got {fold}")
    folds = subject_folds(all_subjects, num_folds)
    image_fold = np.array([folds[s] for s in subjects])
    test = image_fold == fold
    val = image_fold == (fold + 1) % num_folds
    return {"train": ~(test | val), "val": val, "test": test}


def split_names(subjects: np.ndarray, all_subjects: np.ndarray, fold: int, num_folds: int = 10) -> np.ndarray:
    """(N,) "train", "val" or "test" for each image, by its subject's fold (`split_masks`)."""
    names = np.full(len(subjects), "", dtype=object)
    for name, mask in split_masks(subjects, all_subjects, fold, num_folds).items():
        names[mask] = name
    return names.astype(str)
