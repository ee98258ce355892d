import torch

from fau_lightning.evaluation.pixel_baseline import logistic_regression_baseline


def _blobs(n: int, seed: int, flip: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = torch.randn(n, 4, 4, generator=g) * 0.5
    x[torch.arange(n), y, y] += 3.0  # class k lights up pixel (k, k)
    return x, (2 - y) if flip else y


def test_separable_classes_are_learned() -> None:
    result = logistic_regression_baseline(_blobs(300, 0), _blobs(100, 1), _blobs(100, 2), num_classes=3)
    assert result.test_accuracy > 0.95 and result.val_accuracy > 0.95


def test_the_test_split_plays_no_part_in_choosing_l2() -> None:
    train, val = _blobs(300, 0), _blobs(100, 1)
    honest = logistic_regression_baseline(train, val, _blobs(100, 2), num_classes=3)
    flipped = logistic_regression_baseline(train, val, _blobs(100, 2, flip=True), num_classes=3)
    assert honest.l2 == flipped.l2 and honest.val_accuracy == flipped.val_accuracy
    assert flipped.test_accuracy < 0.5
