"""Reader for the Toronto Face Database files `TFD_48x48.mat` and `TFD_96x96.mat`.

Variables: `images` (N x S x S, 0..255), `labs_ex` (N x 1; -1 unlabelled, else 1..7), `labs_id`
(N x 1 identity, -1 unknown), `folds` (N x 5; 0 unlabelled, 1 train, 2 valid, 3 test). Older files
load with scipy.io.loadmat; a MATLAB v7.3 file is HDF5, read with h5py (which stores every array
with its axes reversed).
"""

import os
from pathlib import Path

import numpy as np

from fau_lightning.errors import DatasetFormatError
from fau_lightning.readers.records import NO_LABEL, FaceRecords

# Expression order 1..7 of `labs_ex`, as TFD's users have it (the source does not state it).
TFD_EXPRESSIONS = ("anger", "disgust", "fear", "happy", "sad", "surprise", "neutral")
VARIABLES = ("images", "labs_ex", "labs_id", "folds")
NUM_SPLITS = 5
FOLD_TAGS = np.array(["", "train", "val", "test"])  # `folds` codes 0 (unlabelled, left out), 1, 2, 3


class TFDFormatError(DatasetFormatError):
    """A TFD file that does not hold what it should; the message names the file and the variable."""


def _load_variables(path: Path) -> dict[str, np.ndarray]:
    import scipy.io

    try:
        mat = scipy.io.loadmat(str(path), variable_names=VARIABLES)
        return {name: np.asarray(mat[name]) for name in VARIABLES if name in mat}
    except NotImplementedError:  # MATLAB v7.3: HDF5
        import h5py

        with h5py.File(path, "r") as f:
            return {name: np.asarray(f[name]).T for name in VARIABLES if name in f}
    except (scipy.io.matlab.MatReadError, ValueError, OSError, TypeError, IndexError) as err:  # IndexError: tiny files
        raise TFDFormatError(f"{path}: not a readable MATLAB file ({err})") from err


def _column(path: Path, name: str, values: np.ndarray, n: int) -> np.ndarray:
    flat = values.reshape(-1) if values.ndim == 2 and 1 in values.shape else values
    if flat.ndim != 1:
        raise TFDFormatError(f"{path}: variable '{name}' should be N x 1, has shape {values.shape}")
    if len(flat) != n:
        raise TFDFormatError(f"{path}: variable '{name}' has {len(flat)} entries but 'images' has {n}")
    if not np.all(np.isfinite(flat)) or np.any(flat != np.round(flat)):
        raise TFDFormatError(f"{path}: variable '{name}' must hold whole numbers")
    return flat.astype(np.int64)


def read_tfd(path: str | os.PathLike) -> FaceRecords:
    """TFD's images with label = expression 0..6 (NO_LABEL: unlabelled), subject = identity ("" unknown)
    and partition = the five official splits' tags.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"TFD file {path} does not exist")
    variables = _load_variables(path)
    missing = [name for name in VARIABLES if name not in variables]
    if missing:
        raise TFDFormatError(
            f"{path}: variable(s) {', '.join(repr(m) for m in missing)} missing; found {sorted(variables)}"
        )
    images = variables["images"]
    if images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise TFDFormatError(f"{path}: variable 'images' should be N x S x S, has shape {images.shape}")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise TFDFormatError(f"{path}: variable 'images' has values outside 0..255")
    n = len(images)
    expression = _column(path, "labs_ex", variables["labs_ex"], n)
    if not np.all((expression == -1) | ((expression >= 1) & (expression <= 7))):
        raise TFDFormatError(
            f"{path}: variable 'labs_ex' must be -1 or 1..7, found {sorted(set(expression.tolist()))[:10]}"
        )
    identity = _column(path, "labs_id", variables["labs_id"], n)
    folds = variables["folds"]
    if folds.shape != (n, NUM_SPLITS):
        raise TFDFormatError(f"{path}: variable 'folds' should be {n} x {NUM_SPLITS}, has shape {folds.shape}")
    if not np.all(np.isin(folds, (0, 1, 2, 3))):
        bad = sorted(set(np.unique(folds).tolist()) - {0, 1, 2, 3})
        raise TFDFormatError(
            f"{path}: variable 'folds' must hold 0..3 (0 unlabelled, 1 train, 2 valid, 3 test), found {bad}"
        )
    return FaceRecords.of_arrays(
        np.rint(images).astype(np.uint8),
        label=np.where(expression > 0, expression - 1, NO_LABEL),
        source=path.name,
        subject=np.where(identity >= 0, identity.astype(str), ""),
        partition=FOLD_TAGS[folds.astype(np.int64)],
    )
