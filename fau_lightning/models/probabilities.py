"""A network's logits turned into the probabilities a user reads: softmax over classes, or one
sigmoid per label for multi-label outputs (AUs).
"""

import torch
from torch import nn


def probabilities(logits: torch.Tensor, multi_label: bool) -> torch.Tensor:
    """(N, C) logits -> (N, C) probabilities: independent sigmoids if `multi_label`, else a softmax."""
    return logits.sigmoid() if multi_label else logits.softmax(dim=1)


class WithProbabilities(nn.Module):
    """`network` followed by `probabilities`: what prediction and exported models compute."""

    def __init__(self, network: nn.Module, multi_label: bool) -> None:
        super().__init__()
        self.network = network
        self.multi_label = multi_label

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return probabilities(self.network(images), self.multi_label)
