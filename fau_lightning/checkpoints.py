"""Reading a checkpoint file safely: tensors and plain values only, every failure one clear message."""

import os
import pickle
from pathlib import Path

import torch

from fau_lightning.errors import CheckpointError


def read_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """A checkpoint's contents, loaded with `weights_only=True`: tensors and plain values only, so a
    file whose unpickling would run code is refused, never executed.

    Raises:
        CheckpointError: the file is missing, is not a checkpoint, is truncated, or holds other objects.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a damaged file fails in many ways (zip, struct, EOF, decode)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, pickle.UnpicklingError):
            problem = "refused, it holds objects beyond tensors and plain values, and loading them could run code"
        else:
            problem = "not a readable PyTorch checkpoint, or a truncated one"
        raise CheckpointError(f"{path}: {problem} ({first})") from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path}: not a Lightning checkpoint (no state_dict inside)")
    return checkpoint
