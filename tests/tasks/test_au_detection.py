"""The AU-detection task: multi-label targets, BCE, per-AU AUROC and F1 on held-out subjects."""

from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from fau_lightning.datamodules import SyntheticCKPlusDataModule
from fau_lightning.tasks import AUDetector, load_task
from tests.helpers.auroc import brute_force_auroc
from tests.helpers.tiny import TINY_SYNTHETIC

AUS = [1, 2, 4, 12, 25, 26, 99]  # AU 99 is never coded: it has no AUROC and must not count as 0


@pytest.fixture(scope="module")
def trained(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("au")
    data = SyntheticCKPlusDataModule(
        tiny_synthetic_root,
        TINY_SYNTHETIC,
        image_size=32,
        batch_size=32,
        cache_dir=str(folder),
        targets="aus",
        au_targets=AUS,
    )
    pl.seed_everything(0)
    task = AUDetector(num_classes=len(AUS), class_names=data.class_names, widths=(8, 16, 32), hidden_units=16)
    trainer = pl.Trainer(
        max_epochs=2, logger=False, enable_progress_bar=False, enable_model_summary=False, default_root_dir=str(folder)
    )
    trainer.fit(task, datamodule=data)
    results = trainer.test(task, datamodule=data, verbose=False)[0]
    return task, data, trainer, results


def test_test_metrics_are_per_au_auroc_and_f1_matching_brute_force(trained) -> None:
    task, data, _, results = trained
    images = data.datasets["test"].images.unsqueeze(1).float() / 255
    targets = data.datasets["test"].targets.numpy().astype(bool)
    with torch.no_grad():
        probabilities = task.eval()(images).sigmoid().numpy()
    seen = [0 < targets[:, k].sum() < len(targets) for k in range(targets.shape[1])]
    expected_auroc = [
        brute_force_auroc(probabilities[:, k], targets[:, k]) if seen[k] else float("nan")
        for k in range(targets.shape[1])
    ]
    expected_f1 = []
    for k, name in enumerate(task.class_names):
        if seen[k]:
            assert results[f"test/auroc_au/{name}"] == pytest.approx(expected_auroc[k], abs=1e-4)
        else:
            assert np.isnan(results[f"test/auroc_au/{name}"])
        predicted = probabilities[:, k] > 0.5
        true_positives = (predicted & targets[:, k]).sum()
        f1 = (
            2 * true_positives / (predicted.sum() + targets[:, k].sum())
            if predicted.sum() + targets[:, k].sum()
            else 0.0
        )
        assert results[f"test/f1_au/{name}"] == pytest.approx(f1, abs=1e-4)
        expected_f1.append(f1)
    assert sum(seen) >= 5 and not seen[-1]
    assert results["test/auroc"] == pytest.approx(np.nanmean(expected_auroc), abs=1e-4)
    assert results["test/f1"] == pytest.approx(np.mean(np.array(expected_f1)[seen]), abs=1e-4)


def test_the_best_checkpoint_is_chosen_on_validation_auroc_and_reloads_as_an_au_detector(trained) -> None:
    _, _, trainer, _ = trained
    checkpoint = trainer.checkpoint_callback.best_model_path
    assert checkpoint  # Lightning's default ModelCheckpoint here; the task names its own metric for ours
    assert AUDetector.selection_metric == "val/auroc"
    reloaded = load_task(checkpoint)
    assert type(reloaded) is AUDetector and reloaded.class_names[0] == "AU1"
