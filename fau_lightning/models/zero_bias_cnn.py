"""The zero-bias CNN of Khorrami, Paine & Huang (ICCV-W 2015), as a plain nn.Module."""

from collections import OrderedDict

import torch
from torch import nn

from fau_lightning.errors import SettingError
from fau_lightning.models.init import paper_init_
from fau_lightning.models.local_contrast import LocalMeanSubtraction


class ZeroBiasCNN(nn.Module):
    """Three bias-free 5x5 conv layers, quadrant pooling, a 300-unit dense layer and the classifier.

    Input: float images in [0, 1], shape (N, in_channels, H, W), H and W divisible by 4.
    `features` holds norm, conv1..3 with their `nn.ReLU` and pooling modules, named so analysis
    code can hook them (`features.conv3`, `features.relu3`); `classifier` holds dropout (on fc4's
    input, as in the paper's "d" variants), fc4, relu4 and out. Quadrant pooling is an adaptive max
    pool to 2x2, so it stays four regions at any input size (12x12 windows at 96x96, 6x6 at 48x48).
    """

    default_layer = "relu3"  # the layer the FAU verdict judges unless told otherwise (the paper's conv3)

    def __init__(
        self,
        num_classes: int = 8,
        in_channels: int = 1,
        widths: tuple[int, int, int] = (64, 128, 256),
        hidden_units: int = 300,
        dropout: float = 0.0,
        fc4_bias_init: float = 1.0,
        init: str = "paper",
        norm_kernel_size: int = 5,
        norm_divide_by_std: bool = False,
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise SettingError(f"dropout: must be in [0, 1), got {dropout}")
        if init not in ("paper", "pytorch"):
            raise SettingError(f"init: must be 'paper' or 'pytorch', got {init!r}")
        # the constructor's arguments beyond the class and channel counts: enough to build it again
        self.arguments = {
            "widths": tuple(widths),
            "hidden_units": hidden_units,
            "dropout": dropout,
            "fc4_bias_init": fc4_bias_init,
            "init": init,
            "norm_kernel_size": norm_kernel_size,
            "norm_divide_by_std": norm_divide_by_std,
        }
        w1, w2, w3 = widths
        self.features = nn.Sequential(
            OrderedDict(
                norm=LocalMeanSubtraction(norm_kernel_size, divide_by_std=norm_divide_by_std),
                conv1=nn.Conv2d(in_channels, w1, 5, padding=2, bias=False),
                relu1=nn.ReLU(),
                pool1=nn.MaxPool2d(2, 2),
                conv2=nn.Conv2d(w1, w2, 5, padding=2, bias=False),
                relu2=nn.ReLU(),
                pool2=nn.MaxPool2d(2, 2),
                conv3=nn.Conv2d(w2, w3, 5, padding=2, bias=False),
                relu3=nn.ReLU(),
                pool3=nn.AdaptiveMaxPool2d(2),
            )
        )
        self.classifier = nn.Sequential(
            OrderedDict(
                flatten=nn.Flatten(),
                dropout=nn.Dropout(dropout),
                fc4=nn.Linear(4 * w3, hidden_units),
                relu4=nn.ReLU(),
                out=nn.Linear(hidden_units, num_classes),
            )
        )
        # k of the paper's initialisation, kept with the weights so a checkpoint says how it began.
        self.register_buffer("init_k", torch.tensor(float("nan")))
        self.init, self.fc4_bias_init = init, fc4_bias_init
        if init == "paper":
            self.init_weights_()
        else:
            nn.init.constant_(self.classifier.fc4.bias, fc4_bias_init)
            nn.init.zeros_(self.classifier.out.bias)

    def init_weights_(self) -> None:
        """Draw fresh weights with the paper's initialisation from torch's global generator."""
        self.init_k.fill_(paper_init_(self))
        nn.init.constant_(self.classifier.fc4.bias, self.fc4_bias_init)
        nn.init.zeros_(self.classifier.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
