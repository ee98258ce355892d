"""The analysis's probe sets from any data, and the further people's cached, checked evidence."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fau_lightning.analysis.evidence import extra_people, further_people_probes, split_probe_set
from fau_lightning.errors import SettingError
from fau_lightning.readers.face_crop import CropSettings
from fau_lightning.readers.records import FaceRecords
from fau_lightning.synthetic.dataset import FurtherPeople
from tests.helpers.tiny import TINY_SYNTHETIC


def _records(subjects: list[str]) -> FaceRecords:
    return FaceRecords.of_arrays(np.zeros((len(subjects), 4, 4), np.uint8), np.zeros(len(subjects)), "x.csv", subjects)


def test_data_without_facs_codes_is_unlabelled_images_and_no_evidence() -> None:
    records, split_of = _records(["a", "b", "c"]), np.array(["train", "val", "train"])
    probe = split_probe_set(records, split_of, "train")
    assert len(probe) == 2 and not probe.has_aus and probe.sequence.tolist() == [0, 1]
    with pytest.raises(SettingError, match=r"^extra_evidence: more.yaml: its data has no FACS AU codes"):
        extra_people(records, split_of, set(), "more.yaml")


def test_evidence_must_name_its_people_and_share_none_with_training() -> None:
    records = _records(["a", ""])
    coded = FaceRecords(**{**records.__dict__, "au_codes": np.array([12]), "au_present": np.ones((2, 1), bool)})
    with pytest.raises(SettingError, match="does not name the person of every image"):
        extra_people(coded, np.array(["train", "train"]), set(), "more.yaml")
    named = FaceRecords(**{**coded.__dict__, "subject": np.array(["a", "b"])})
    with pytest.raises(SettingError, match=r"holds 1 training subject\(s\), e.g. \['b'\]"):
        extra_people(named, np.array(["train", "test"]), {"b", "z"}, "more.yaml")
    assert len(extra_people(named, np.array(["train", "test"]), {"z"}, "more.yaml")) == 2


def _further(tmp_path: Path) -> FurtherPeople:
    people = replace(TINY_SYNTHETIC, num_subjects=4, first_subject=100)
    crop = CropSettings(method="landmarks", size=32)
    return FurtherPeople(people=people, crop=crop, last_frames=3, fold=0, num_folds=2, cache_dir=str(tmp_path))


def test_further_peoples_cache_entry_is_checked_and_a_killed_runs_scratch_swept(tmp_path: Path) -> None:
    further = _further(tmp_path)
    first = further_people_probes(further)
    (entry,) = tmp_path.glob("evidence-*.npz")
    killed = tmp_path / f".{entry.stem}.tmp-999999999"  # a scratch folder whose process is gone
    (killed / "faces").mkdir(parents=True)
    with np.load(entry) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["au_present"] = ~arrays["au_present"]  # still a valid probe set, but not the one written
    np.savez(entry, **arrays)
    with pytest.warns(UserWarning, match=r"evidence cache entry .* does not match its checksum .*; rebuilt"):
        again = further_people_probes(further)
    assert np.array_equal(again.au_present, first.au_present) and np.array_equal(again.images, first.images)
    assert not killed.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [entry.name]  # no scratch of its own left either
