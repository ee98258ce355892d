import numpy as np
import pytest

from fau_lightning.analysis.evidence import extra_people, split_probe_set
from fau_lightning.errors import SettingError
from fau_lightning.readers.records import FaceRecords


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
