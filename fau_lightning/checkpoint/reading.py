"""Reading a checkpoint file safely: tensors and plain values only, every failure one clear message."""

import os
import pickle
from pathlib import Path

import torch

from fau_lightning.errors import CheckpointError

ZIP_MAGIC = b"PK\x03\x04"  # torch.save's format since PyTorch 1.6
PICKLE_PROTOCOL = b"\x80"  # the older format: a bare pickle
KNOWN_FORMATS = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"MATLAB": "a MATLAB file",
    b"\x89HDF": "an HDF5 file",
    b"%PDF": "a PDF file",
}


def _looks_like(head: bytes) -> str:
    """What a file's first bytes say it is, as people call it."""
    for magic, name in KNOWN_FORMATS.items():
        if head.startswith(magic):
            return f"it is {name}"
    return "its first bytes are neither a zip archive nor a pickle"


def read_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """A checkpoint's contents, loaded with `weights_only=True`: tensors and plain values only, so a
    file whose unpickling would run code is refused, never executed.

    Raises:
        CheckpointError: the file is missing, is not a checkpoint, is truncated, or holds other objects.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    with open(path, "rb") as f:
        head = f.read(8)
    if not head.startswith((ZIP_MAGIC, PICKLE_PROTOCOL)):
        raise CheckpointError(f"{path}: not a PyTorch checkpoint ({_looks_like(head)})")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:  # torch's message advises unsafe loading: not repeated
        raise CheckpointError(
            f"{path}: refused: a PyTorch file that holds objects beyond tensors and plain values (loading "
            "them could run code); fau_lightning only reads checkpoints it wrote"
        ) from err
    except Exception as err:  # a damaged file fails in many ways (zip, struct, EOF, decode)
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint, or a truncated one") from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path}: not a Lightning checkpoint (no state_dict inside)")
    return checkpoint
