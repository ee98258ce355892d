import numpy as np
import pytest

from fau_lightning.readers.folds import split_masks, subject_folds


def test_sorted_subject_i_goes_to_fold_i_mod_10() -> None:
    subjects = np.array([f"S{n:03d}" for n in (130, 5, 11, 22, 10, 999, 26, 28, 29, 32, 34, 35)])
    folds = subject_folds(subjects)
    ordered = sorted(subjects)
    assert [folds[s] for s in ordered] == [i % 10 for i in range(12)]
    assert folds["S005"] == 0 and folds["S130"] == 0 and folds["S999"] == 1


@pytest.mark.parametrize("fold", range(10))
def test_no_subject_in_two_splits_and_val_is_next_fold(fold: int) -> None:
    all_subjects = np.array([f"S{n:03d}" for n in range(5, 60)])
    rng = np.random.default_rng(fold)
    image_subjects = rng.choice(all_subjects, size=400)
    masks = split_masks(image_subjects, all_subjects, fold)
    assert (masks["train"].astype(int) + masks["val"] + masks["test"] == 1).all()
    sets = {name: set(image_subjects[m]) for name, m in masks.items()}
    assert not (sets["train"] & sets["val"] or sets["train"] & sets["test"] or sets["val"] & sets["test"])
    folds = subject_folds(all_subjects)
    assert {folds[s] for s in sets["test"]} == {fold}
    assert {folds[s] for s in sets["val"]} == {(fold + 1) % 10}


def test_every_image_is_tested_exactly_once_over_the_ten_splits() -> None:
    all_subjects = np.array([f"S{n:03d}" for n in range(5, 40)])
    image_subjects = np.repeat(all_subjects, 4)
    tested = sum(split_masks(image_subjects, all_subjects, k)["test"].astype(int) for k in range(10))
    assert (tested == 1).all()


def test_fold_out_of_range() -> None:
    with pytest.raises(ValueError, match="fold: must be in 0..9"):
        split_masks(np.array(["S005"]), np.array(["S005"]), 10)
