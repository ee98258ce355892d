"""Expression classification: what it logs, to the progress bar and for classes absent from a split."""

import math

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from fau_lightning.tasks import ExpressionClassifier


def _loader(labels: list[int], seed: int = 0) -> DataLoader:
    images = torch.rand(len(labels), 1, 16, 16, generator=torch.Generator().manual_seed(seed))
    return DataLoader(TensorDataset(images, torch.tensor(labels)), batch_size=8)


def _trainer(**kwargs) -> pl.Trainer:
    return pl.Trainer(logger=False, enable_checkpointing=False, enable_model_summary=False, **kwargs)


def test_a_class_absent_from_the_split_is_missing_not_zero() -> None:
    model = ExpressionClassifier(num_classes=3, class_names=["a", "b", "c"], widths=(4, 4, 4), hidden_units=8)
    labels = [0, 1] * 8  # no "c"
    (metrics,) = _trainer(enable_progress_bar=False).test(model, _loader(labels), verbose=False)
    assert math.isnan(metrics["test/acc_class/c"])
    per_class = [metrics["test/acc_class/a"], metrics["test/acc_class/b"]]
    assert metrics["test/acc_macro"] == sum(per_class) / 2  # the mean leaves the absent class out


def test_training_shows_loss_and_accuracy_in_the_progress_bar() -> None:
    model = ExpressionClassifier(num_classes=2, widths=(4, 4, 4), hidden_units=8)
    trainer = _trainer(max_epochs=1, enable_progress_bar=True)
    trainer.fit(model, _loader([0, 1] * 8), _loader([0, 1] * 4, seed=1))
    shown = trainer.progress_bar_metrics
    assert {"train/loss_step", "train/acc", "val/acc"} <= set(shown)
