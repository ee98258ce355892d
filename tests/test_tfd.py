"""TFD on tiny .mat files written by the tests, in both MATLAB formats."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
import torch

from fau_lightning.datamodules.tfd import TFDDataModule
from fau_lightning.datasets.tfd import TFDFormatError, read_tfd


def tfd_variables(n: int = 30, size: int = 12, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, 8, size=(n, 1)).astype(np.float64)
    labels[:5] = -1  # unlabelled
    folds = rng.integers(1, 4, size=(n, 5)).astype(np.float64)
    folds[:5] = 0
    images = rng.integers(0, 256, size=(n, size, size)).astype(np.float64)
    images[:, 0, :] = 255  # a bright top row, to catch transposed images
    images[:, 1:, :] = np.minimum(images[:, 1:, :], 200)
    return {"images": images, "labs_ex": labels, "labs_id": np.arange(n, dtype=np.float64)[:, None], "folds": folds}


def write_v5(path: Path, variables: dict[str, np.ndarray]) -> Path:
    scipy.io.savemat(str(path), variables)
    return path


def write_v73(path: Path, variables: dict[str, np.ndarray]) -> Path:
    """MATLAB v7.3 = HDF5 with a 512-byte user block and every array stored with its axes reversed."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in variables.items():
            f.create_dataset(name, data=value.T)
    with open(path, "r+b") as f:
        text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Sat Nov 21 2026 HDF5 schema 1.00 ."
        f.write(text.ljust(116) + bytes(8) + b"\x00\x02" + b"IM")  # subsystem offset, version 2, endianness
    return path


@pytest.mark.parametrize("writer", [write_v5, write_v73])
def test_reads_both_matlab_formats(tmp_path: Path, writer) -> None:
    variables = tfd_variables()
    tfd = read_tfd(writer(tmp_path / "TFD_12x12.mat", variables))
    assert tfd.images.shape == (30, 12, 12) and tfd.images.dtype == np.uint8
    assert (tfd.images[:, 0, :] == 255).all() and tfd.images[:, 1:, :].max() <= 200  # not transposed
    assert np.array_equal(tfd.expression[:5], [-1] * 5)
    assert np.array_equal(tfd.expression[5:], variables["labs_ex"][5:, 0] - 1)
    assert np.array_equal(tfd.folds, variables["folds"])


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
