"""The paper's input normalisation, as the network's first module so it runs on the accelerator."""

import torch
import torch.nn.functional as F
from torch import nn

from fau_lightning.errors import SettingError


class LocalMeanSubtraction(nn.Module):
    """Scale pixels from [0, 1] to [0, input_scale], then subtract each pixel's local mean.

    The local mean is taken over a `kernel_size` square with zero padding, as in the authors' code.
    The authors meant to divide by the local standard deviation too, but a Python 2 integer division
    made that a division by 1; `divide_by_std=True` turns the intended division on. The divisor is
    max(local std, the image's mean local std), so flat regions are not blown up into noise.
    """

    def __init__(self, kernel_size: int = 5, input_scale: float = 2.0, divide_by_std: bool = False) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise SettingError(f"kernel_size: must be a positive odd number, got {kernel_size}")
        self.kernel_size = kernel_size
        self.input_scale = input_scale
        self.divide_by_std = divide_by_std

    def _local_mean(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, self.kernel_size, stride=1, padding=self.kernel_size // 2, count_include_pad=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * self.input_scale
        centred = x - self._local_mean(x)
        if not self.divide_by_std:
            return centred
        local_std = self._local_mean(centred.square()).sqrt()
        floor = local_std.mean(dim=(-2, -1), keepdim=True).clamp_min(1e-6)
        return centred / torch.maximum(local_std, floor)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, input_scale={self.input_scale}, divide_by_std={self.divide_by_std}"
