from pathlib import Path

import numpy as np
import pytest
import torch

from fau_lightning.analysis.evidence import split_probe_set
from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.datamodules import CKPlusDataModule, SyntheticCKPlusDataModule
from fau_lightning.errors import SettingError
from fau_lightning.readers.ck_plus import UNLABELLED
from tests.helpers.tiny import TINY_SYNTHETIC


def _subjects(dm: CKPlusDataModule, split: str) -> set[str]:
    keep, _ = dm.label_set.encode(dm.records.label)
    from fau_lightning.readers.folds import split_masks

    masks = split_masks(dm.records.subject[keep], dm.records.all_subjects, dm.hparams.fold)
    return set(dm.records.subject[keep][masks[split]])


@pytest.mark.parametrize("fold", [0, 9])
def test_splits_hold_disjoint_subjects(tiny_synthetic_root: Path, tmp_path: Path, fold: int) -> None:
    dm = SyntheticCKPlusDataModule(
        tiny_synthetic_root, TINY_SYNTHETIC, fold=fold, image_size=32, cache_dir=str(tmp_path)
    )
    dm.prepare_data()
    dm.setup("fit")
    train, val, test = (_subjects(dm, s) for s in ("train", "val", "test"))
    assert train and val and test
    assert not (train & val or train & test or val & test)
    labelled = dm.records.label >= 0  # FACS-only sequences are read for analysis, never trained on
    assert 0 < labelled.sum() < len(dm.records)
    assert sum(len(ds) for ds in dm.datasets.values()) == labelled.sum()
    images, targets = next(iter(dm.train_dataloader()))
    assert images.dtype == torch.float32 and images.shape[1:] == (1, 32, 32)
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.5
    assert targets.dtype == torch.int64 and targets.max() < 8


def test_six_class_drops_neutral_and_contempt(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    dm = SyntheticCKPlusDataModule(
        tiny_synthetic_root, TINY_SYNTHETIC, label_set="ck6", image_size=32, cache_dir=str(tmp_path)
    )
    dm.setup("fit")
    targets = torch.cat([ds.targets for ds in dm.datasets.values()])
    kept_codes = dm.records.label[~np.isin(dm.records.label, [UNLABELLED, 0, 2])]
    assert len(targets) == len(kept_codes) and dm.num_classes == 6
    expected = np.searchsorted([1, 3, 4, 5, 6, 7], np.sort(kept_codes))
    assert np.array_equal(np.sort(targets.numpy()), expected)


def test_unknown_label_set() -> None:
    with pytest.raises(ValueError, match="unknown label set 'ck7'"):
        CKPlusDataModule("anywhere", label_set="ck7")


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    dm = CKPlusDataModule(str(tmp_path / "no_such_ck"))
    with pytest.raises(FileNotFoundError, match="no_such_ck does not exist"):
        dm.prepare_data()


def test_probe_set_carries_aus_and_landmarks_of_the_split(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    dm = SyntheticCKPlusDataModule(tiny_synthetic_root, TINY_SYNTHETIC, image_size=32, cache_dir=str(tmp_path))
    dm.setup("fit")
    records, split_of = dm.analysis_records()
    probe = split_probe_set(records, split_of, "val")
    # Every image of the split's subjects: the labelled ones training sees, then the FACS-only ones.
    val_subjects = set(records.subject[split_of == "val"].tolist())
    in_val = np.isin(dm.records.subject, list(val_subjects))
    assert len(probe.images) == in_val.sum() > len(dm.datasets["val"])
    assert np.array_equal(probe.images[dm.records.label[in_val] >= 0], dm.datasets["val"].images.numpy())
    assert probe.has_aus and probe.au_present.shape == (len(probe.images), len(probe.au_codes))
    sequence = np.char.add(dm.records.subject[in_val], dm.records.sequence[in_val])
    first_frames = np.r_[True, sequence[1:] != sequence[:-1]]
    assert not probe.au_present[first_frames].any() and probe.au_present[~first_frames].any(axis=1).all()
    assert np.isfinite(probe.landmarks).all() and probe.landmarks.min() > -5 and probe.landmarks.max() < 37
    assert np.array_equal(probe.apex, ~first_frames) and np.array_equal(probe.emotion, dm.records.label[in_val])
    assert len(np.unique(probe.sequence)) == len(np.unique(sequence))
    for s in np.unique(probe.sequence):  # one sequence id per recording
        assert len(set(sequence[probe.sequence == s])) == 1
    sampled = probe.sample(9)
    assert len(sampled) <= 9 and probe.sample(10_000) is probe
    for s in np.unique(sampled.sequence):  # whole sequences only
        assert (sampled.sequence == s).sum() == (probe.sequence == s).sum()
    test = split_probe_set(records, split_of, "test")
    both = ProbeSet.concatenate([probe, test])
    assert len(both) == len(probe) + len(test)
    assert len(np.unique(both.sequence)) == len(np.unique(probe.sequence)) + len(np.unique(test.sequence))


def test_au_targets_cover_every_facs_coded_image(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    dm = SyntheticCKPlusDataModule(
        tiny_synthetic_root,
        TINY_SYNTHETIC,
        image_size=32,
        cache_dir=str(tmp_path),
        targets="aus",
        au_targets=[1, 12, 99],
    )
    dm.setup("fit")
    assert dm.class_names == ["AU1", "AU12", "AU99"] and dm.num_classes == 3
    assert sum(len(ds) for ds in dm.datasets.values()) == len(dm.records)  # unlabelled sequences too
    probe = split_probe_set(*dm.analysis_records(), "train")
    targets = dm.datasets["train"].targets.numpy()
    assert targets.dtype == np.float32 and targets.shape == (len(probe), 3)
    assert np.array_equal(targets[:, 0], probe.au_present[:, probe.au_codes.index(1)])
    assert np.array_equal(targets[:, 1], probe.au_present[:, probe.au_codes.index(12)])
    assert not targets[:, 2].any()  # an AU the data never codes is never present
    images, batch_targets = next(iter(dm.train_dataloader()))
    assert batch_targets.shape == (len(images), 3) and batch_targets.dtype == torch.float32


def test_shuffled_training_labels_are_a_permutation_of_the_real_ones(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    real = SyntheticCKPlusDataModule(tiny_synthetic_root, TINY_SYNTHETIC, image_size=32, cache_dir=str(tmp_path))
    shuffled = SyntheticCKPlusDataModule(
        tiny_synthetic_root, TINY_SYNTHETIC, image_size=32, cache_dir=str(tmp_path), shuffle_train_labels=True
    )
    real.setup("fit")
    shuffled.setup("fit")
    before, after = real.datasets["train"].targets.numpy(), shuffled.datasets["train"].targets.numpy()
    assert np.array_equal(np.sort(before), np.sort(after)) and (before != after).mean() > 0.5
    assert torch.equal(real.datasets["train"].images, shuffled.datasets["train"].images)
    assert torch.equal(real.datasets["test"].targets, shuffled.datasets["test"].targets)  # evaluation keeps the truth


def test_each_evidence_draw_is_a_new_block_of_people(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    """Draw 0 takes the people right after the set's own; draw k the k-th next block, disjoint from all."""
    blocks = []
    for draw in range(3):
        data = SyntheticCKPlusDataModule(tiny_synthetic_root, TINY_SYNTHETIC, evidence_subjects=5, evidence_draw=draw)
        people = data.further_people().people
        blocks.append(set(range(people.first_subject, people.first_subject + people.num_subjects)))
    assert min(blocks[0]) == TINY_SYNTHETIC.num_subjects and all(len(b) == 5 for b in blocks)
    assert not (blocks[0] & blocks[1] or blocks[0] & blocks[2] or blocks[1] & blocks[2])
    assert not set(range(TINY_SYNTHETIC.num_subjects)) & (blocks[0] | blocks[1] | blocks[2])
    with pytest.raises(SettingError, match="evidence_draw: must be 0 or more"):
        SyntheticCKPlusDataModule(tiny_synthetic_root, TINY_SYNTHETIC, evidence_subjects=5, evidence_draw=-1)
