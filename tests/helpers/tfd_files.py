"""Tiny TFD .mat files in both MATLAB formats."""

from pathlib import Path

import h5py
import numpy as np
import scipy.io


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
