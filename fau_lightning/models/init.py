"""The paper's weight initialisation."""

import math

import torch
from torch import nn


def paper_init_(model: nn.Module, k_range: tuple[float, float] = (0.2, 1.2)) -> float:
    """Initialise every conv and linear weight from N(0, (k / sqrt(fan_in))^2), one k per run.

    k is drawn once from U(k_range) with torch's global generator, so `seed_everything` fixes it.
    Biases are left to the caller (the paper sets fc4's to 1.0 and the output layer's to 0).
    Returns the drawn k so it can be logged.
    """
    low, high = k_range
    k = float(torch.empty(()).uniform_(low, high))
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            fan_in = module.weight[0].numel()
            with torch.no_grad():
                module.weight.normal_(0.0, k / math.sqrt(fan_in))
    return k
