"""On a CUDA GPU (skipped elsewhere): the device data path, mixed precision, channels-last,
torch.compile, the precision chosen by device, and prediction and export from a GPU.
scripts/gpu_check.sh runs these first on a lent GPU machine.
"""

from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from fau_lightning.cli import export, predict
from fau_lightning.cli.precision import precision_for
from fau_lightning.datamodules.device_batches import DeviceBatches
from fau_lightning.readers.real_photos import sample_photographs
from fau_lightning.tasks import ExpressionClassifier
from fau_lightning.transforms.augment import AugmentRanges

pytestmark = pytest.mark.cuda


def _split(n: int = 48, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    return torch.from_numpy(rng.integers(0, 255, (n, size, size), dtype=np.uint8)), torch.arange(n) % 4


def test_device_batches_draw_on_cuda_what_they_draw_on_the_cpu() -> None:
    images, targets = _split()
    cuda = DeviceBatches(images, targets, 16, torch.device("cuda"), shuffle=True, augment=AugmentRanges(), seed=3)
    cpu = DeviceBatches(images, targets, 16, torch.device("cpu"), shuffle=True, augment=AugmentRanges(), seed=3)
    for (a, ta), (b, tb) in zip(cuda, cpu, strict=True):
        assert a.is_cuda and torch.equal(ta.cpu(), tb)
        assert torch.allclose(a.cpu(), b, atol=1e-4)  # same draws; grid_sample may round differently


def _fit(precision: str, **task) -> ExpressionClassifier:
    images, targets = _split()
    model = ExpressionClassifier(num_classes=4, widths=(8, 16, 32), hidden_units=16, **task)
    before = model.model.features.conv1.weight.detach().clone()

    class Data(pl.LightningDataModule):
        def train_dataloader(self):
            return DeviceBatches(images, targets, 16, torch.device("cuda"), shuffle=True, augment=AugmentRanges())

    trainer = pl.Trainer(
        accelerator="gpu",
        devices=1,
        precision=precision,
        max_steps=3,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=Data())
    after = model.model.features.conv1.weight.detach().cpu()
    assert torch.isfinite(after).all() and not torch.equal(before, after)
    return model


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
def test_mixed_precision_steps_train(precision: str) -> None:
    _fit(precision)


def test_channels_last_steps_train() -> None:
    _fit("bf16-mixed", channels_last=True)


def test_torch_compile_steps_train() -> None:
    _fit("bf16-mixed", compile=True)


def test_precision_by_device_is_bf16_on_a_gpu_with_bf16() -> None:
    expected = "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    assert precision_for("auto") == expected and precision_for("gpu") == expected and precision_for("cpu") == "32-true"


def test_predict_and_export_from_a_gpu(tiny_checkpoint: Path, tmp_path: Path) -> None:
    photo = str(next(iter(sample_photographs().values())))
    rows = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / f"{device}.csv"
        predict.main([str(tiny_checkpoint), photo, "--output", str(out), "--device", device])
        rows[device] = out.read_text().splitlines()
    assert len(rows["cuda"]) == len(rows["cpu"]) >= 2
    probabilities = slice(len(predict.ROW_COLUMNS), None)
    cpu, cuda = (np.array([float(v) for v in r[1].split(",")[probabilities]]) for r in (rows["cpu"], rows["cuda"]))
    assert np.allclose(cpu, cuda, atol=1e-3)
    assert export.main([str(tiny_checkpoint), "--output", str(tmp_path / "model.onnx")]) is None
    assert (tmp_path / "model.onnx").stat().st_size > 1000
