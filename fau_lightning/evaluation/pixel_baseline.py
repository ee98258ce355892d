"""A raw-pixel multinomial logistic regression, the floor a CNN must clearly beat.

Pixels are standardised with the training set's statistics; the L2 strength is chosen on the
validation split, and only then is the test split scored, once.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from fau_lightning.progress import Progress, StageProgress


@dataclass(frozen=True)
class BaselineResult:
    l2: float
    val_accuracy: float
    test_accuracy: float


def _fit(x: torch.Tensor, y: torch.Tensor, num_classes: int, l2: float, max_iter: int) -> torch.Tensor:
    weights = torch.zeros(x.shape[1] + 1, num_classes, dtype=torch.float64, requires_grad=True)
    design = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    optimiser = torch.optim.LBFGS([weights], max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = F.cross_entropy(design @ weights, y) + l2 * weights[:-1].square().sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return weights.detach()


def _accuracy(weights: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> float:
    logits = x @ weights[:-1] + weights[-1]
    return float((logits.argmax(dim=1) == y).double().mean())


def logistic_regression_baseline(
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    num_classes: int,
    l2_grid: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1),
    max_iter: int = 200,
    progress: Progress | None = None,
) -> BaselineResult:
    """Each split is (images of any shape (N, ...), class indices (N,)); `progress` is told after each L2 fit."""

    def flat(images: torch.Tensor) -> torch.Tensor:
        return images.reshape(len(images), -1).double()

    x_train = flat(train[0])
    mean, std = x_train.mean(0), x_train.std(0).clamp_min(1e-6)
    x_train, x_val, x_test = ((flat(x) - mean) / std for x in (train[0], val[0], test[0]))
    progress = progress or StageProgress()
    fits = {}
    for done, l2 in enumerate(l2_grid, start=1):
        fits[l2] = _fit(x_train, train[1], num_classes, l2, max_iter)
        progress("fitting the L2 strengths", done, len(l2_grid))
    best_l2 = max(l2_grid, key=lambda l2: _accuracy(fits[l2], x_val, val[1]))
    return BaselineResult(best_l2, _accuracy(fits[best_l2], x_val, val[1]), _accuracy(fits[best_l2], x_test, test[1]))
