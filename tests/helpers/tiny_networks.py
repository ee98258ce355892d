"""Small networks that are not the zero-bias CNN (biases, batch norm, a residual block), built by class path."""

import numpy as np
import torch
from torch import nn


class ResidualBlock(nn.Module):
    """A 3x3 convolution with a bias, added to its input, then ReLU and a 2x2 max pool."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(torch.relu(self.conv(x) + x))


class TinyResidualNet(nn.Module):
    """conv (bias) - batch norm - ReLU - max pool, a residual block (`block`: 8x8 maps at 32x32), a linear head."""

    def __init__(self, num_classes: int = 8, in_channels: int = 1, width: int = 8) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.block = ResidualBlock(width)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(self.stem(x)).amax(dim=(2, 3)))


class PlantedNet(TinyResidualNet):
    """TinyResidualNet whose judged layer (`judged`) holds its block's maps and one more: a 3x3 convolution
    with a bias, ReLU and a 4x4 max pool, drawn at random like the rest until `plant_` sets it.
    """

    def __init__(self, num_classes: int = 8, in_channels: int = 1, width: int = 8) -> None:
        super().__init__(num_classes, in_channels, width)
        self.detector = nn.Sequential(
            nn.Conv2d(in_channels, 1, 3, padding=1, padding_mode="replicate"), nn.ReLU(), nn.MaxPool2d(4)
        )
        self.judged = nn.Identity()
        self.head = nn.Linear(width + 1, num_classes)

    def plant_(self, kernel: np.ndarray, bias: float) -> None:
        """Make the extra map answer `kernel` (3x3) above `bias`: the planted unit."""
        with torch.no_grad():
            self.detector[0].weight.copy_(torch.as_tensor(kernel, dtype=torch.float32)[None, None])
            self.detector[0].bias.fill_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.judged(torch.cat([self.block(self.stem(x)), self.detector(x)], dim=1))
        return self.head(maps.amax(dim=(2, 3)))
