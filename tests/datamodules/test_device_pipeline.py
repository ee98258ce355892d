"""pipeline='device': whole splits on the trainer's device, batches indexed (and augmented) there."""

from pathlib import Path

import pytest
import torch

from fau_lightning.cli.train import run_cli
from fau_lightning.datamodules import SyntheticCKPlusDataModule
from fau_lightning.datamodules.device_batches import DeviceBatches
from fau_lightning.transforms.augment import AugmentRanges
from tests.helpers.tiny import TINY_SYNTHETIC, tiny_args


def test_evaluation_shares_cover_every_image_once_across_ranks() -> None:
    images = torch.arange(10 * 4, dtype=torch.uint8).view(10, 2, 2)
    targets = torch.arange(10)
    seen = []
    for rank in range(3):
        loader = DeviceBatches(images, targets, 2, torch.device("cpu"), rank=rank, world_size=3)
        batches = list(loader)
        assert len(batches) == len(loader)
        seen += [t for _, batch_targets in batches for t in batch_targets.tolist()]
    assert sorted(seen) == list(range(10))


def test_training_order_is_new_each_epoch_equal_per_rank_and_reproducible() -> None:
    images = torch.zeros(11, 4, 4, dtype=torch.uint8)
    targets = torch.arange(11)

    def order(rank: int, epoch: int, world: int = 2) -> list[int]:
        loader = DeviceBatches(
            images, targets, 3, torch.device("cpu"), shuffle=True, seed=7, rank=rank, world_size=world
        )
        loader.sampler.set_epoch(epoch)  # what Lightning calls at each epoch start
        return [t for _, batch_targets in loader for t in batch_targets.tolist()]

    assert order(0, 0) == order(0, 0) and order(0, 0) != order(0, 1)
    assert len(order(0, 0)) == len(order(1, 0)) == 6  # 11 images over 2 ranks: one repeated
    assert set(order(0, 0)) | set(order(1, 0)) == set(range(11))
    assert sorted(order(0, 0, world=1)) == list(range(11))


def test_augmented_batches_stay_in_range_and_differ_by_epoch() -> None:
    images = torch.randint(0, 256, (16, 8, 8), dtype=torch.uint8)
    loader = DeviceBatches(
        images, torch.zeros(16, dtype=torch.long), 16, torch.device("cpu"), shuffle=True, augment=AugmentRanges()
    )
    first, _ = next(iter(loader))
    loader.sampler.set_epoch(1)
    second, _ = next(iter(loader))
    assert first.shape == (16, 1, 8, 8) and 0 <= first.min() and first.max() <= 1
    assert not torch.equal(first, second)


def test_device_pipeline_serves_the_same_evaluation_batches_as_workers(
    tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    kwargs = dict(
        root=tiny_synthetic_root, synthetic=TINY_SYNTHETIC, image_size=32, cache_dir=str(tmp_path), batch_size=8
    )
    workers, device = SyntheticCKPlusDataModule(**kwargs), SyntheticCKPlusDataModule(**kwargs, pipeline="device")
    for dm in (workers, device):
        dm.setup("fit")
    for a, b in zip(workers.val_dataloader(), device.val_dataloader(), strict=True):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_device_pipeline_needs_no_workers() -> None:
    with pytest.raises(ValueError, match="num_workers=0"):
        SyntheticCKPlusDataModule(pipeline="device", num_workers=2)
    with pytest.raises(ValueError, match="'workers' or 'device'"):
        SyntheticCKPlusDataModule(pipeline="gpu")


def test_fau_train_with_the_device_pipeline_and_augmentation(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    cli = run_cli(
        [
            "fit",
            *tiny_args(
                tiny_synthetic_root, tmp_path, "--data.pipeline=device", "--data.augment=true", "--trainer.logger=false"
            ),
        ]
    )
    assert isinstance(cli.datamodule.train_dataloader(), DeviceBatches)
    assert cli.trainer.global_step == 2 * len(cli.datamodule.train_dataloader())
    assert 0.0 <= float(cli.trainer.callback_metrics["test/acc"]) <= 1.0
