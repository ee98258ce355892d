"""How pixels reach a network: uint8 grey levels scaled to [0, 1], the one conversion everywhere."""

import numpy as np
import torch


def to_unit_float(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """uint8 images (any shape) as float32 in [0, 1]; a numpy array becomes a tensor (on the CPU).

    Raises:
        TypeError: the images are not uint8.
    """
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if images.dtype != torch.uint8:
        raise TypeError(f"images: expected uint8 grey levels, got {images.dtype}")
    return images.float().div_(255)
