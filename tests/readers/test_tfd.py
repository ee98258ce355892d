"""TFD on tiny .mat files written by the tests, in both MATLAB formats."""

from pathlib import Path

import numpy as np
import pytest
import torch

from fau_lightning.datamodules.tfd import TFDDataModule
from fau_lightning.readers.tfd import TFDFormatError, read_tfd
from tests.helpers.tfd_files import tfd_variables, write_v5, write_v73


@pytest.mark.parametrize("writer", [write_v5, write_v73])
def test_reads_both_matlab_formats(tmp_path: Path, writer) -> None:
    variables = tfd_variables()
    tfd = read_tfd(writer(tmp_path / "TFD_12x12.mat", variables))
    assert tfd.images.shape == (30, 12, 12) and tfd.images.dtype == np.uint8
    assert (tfd.images[:, 0, :] == 255).all() and tfd.images[:, 1:, :].max() <= 200  # not transposed
    assert np.array_equal(tfd.label[:5], [-1] * 5)
    assert np.array_equal(tfd.label[5:], variables["labs_ex"][5:, 0] - 1)
    assert np.array_equal(tfd.partition, np.array(["", "train", "val", "test"])[variables["folds"].astype(int)])
    identity = variables["labs_id"][:, 0].astype(int)
    assert np.array_equal(tfd.subject, np.where(identity >= 0, identity.astype(str), ""))


def test_datamodule_splits_are_the_files_folds(tmp_path: Path) -> None:
    variables = tfd_variables()
    path = write_v5(tmp_path / "TFD.mat", variables)
    for fold in range(5):
        dm = TFDDataModule(str(path), fold=fold, image_size=24)
        dm.setup()
        column = variables["folds"][5:, fold]
        assert [len(dm.datasets[s]) for s in ("train", "val", "test")] == [int((column == c).sum()) for c in (1, 2, 3)]
        images, targets = dm.datasets["test"][0]
        assert images.shape == (1, 24, 24) and 0 <= targets < 7
    assert dm.num_classes == 7 and dm.class_names[-1] == "neutral"
    all_targets = torch.cat([dm.datasets[s].targets for s in ("train", "val", "test")])
    assert len(all_targets) == 25  # the five unlabelled images are never used


def _broken(tmp_path: Path, **changes) -> Path:
    variables = tfd_variables()
    for name, value in changes.items():
        if value is None:
            del variables[name]
        else:
            variables[name] = value
    return write_v5(tmp_path / "TFD_bad.mat", variables)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"folds": None}, "'folds' missing"),
        ({"labs_ex": None, "labs_id": None}, "'labs_ex', 'labs_id' missing"),
        ({"labs_ex": np.ones((29, 1))}, "'labs_ex' has 29 entries but 'images' has 30"),
        ({"labs_id": np.zeros((31, 1))}, "'labs_id' has 31 entries"),
        ({"folds": np.ones((30, 4))}, "'folds' should be 30 x 5"),
        ({"folds": np.full((30, 5), 4.0)}, "'folds' must hold 0..3"),
        ({"labs_ex": np.full((30, 1), 9.0)}, "'labs_ex' must be -1 or 1..7"),
        ({"images": np.zeros((30, 12, 10))}, "'images' should be N x S x S"),
        ({"images": np.full((30, 12, 12), 300.0)}, "outside 0..255"),
    ],
)
def test_malformed_files_name_the_file_and_variable(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(TFDFormatError, match=message) as err:
        read_tfd(_broken(tmp_path, **changes))
    assert "TFD_bad.mat" in str(err.value)


def test_not_a_mat_file_and_missing_file(tmp_path: Path) -> None:
    junk = tmp_path / "TFD_junk.mat"
    junk.write_bytes(b"this is not matlab")
    with pytest.raises(TFDFormatError, match="TFD_junk.mat: not a readable MATLAB file"):
        read_tfd(junk)
    with pytest.raises(FileNotFoundError, match="nothing.mat does not exist"):
        read_tfd(tmp_path / "nothing.mat")


def test_fold_out_of_range() -> None:
    with pytest.raises(ValueError, match="0..4"):
        TFDDataModule("x.mat", fold=5)
