"""The position in the epoch a checkpoint keeps for a mid-epoch resume, read from Lightning's batch
progress (pinned here, so a Lightning release that counts otherwise fails in the suite), and how many
batches a resume passes over.
"""

from pathlib import Path

import pytest
import torch

from fau_lightning.cli.train import run_cli
from fau_lightning.datamodules.resume import EpochPosition, batches_to_skip
from fau_lightning.errors import SettingError
from tests.helpers.tiny import csv_logger_args, tiny_args


def test_a_checkpoint_written_mid_epoch_keeps_its_position_and_the_epochs_order(
    tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "run"
    run_cli(
        [
            "fit",
            *tiny_args(tiny_synthetic_root, folder, *csv_logger_args(folder)),
            "--data.batch_size=16",
            "--trainer.max_epochs=1",
            "--trainer.val_check_interval=4",
            "--trainer.check_val_every_n_epoch=null",
            "--test_after_fit=false",
            "--verdict=false",
            f"--checkpoint_dir={folder / 'checkpoints'}",
        ]
    )
    checkpoint = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
    saved = checkpoint["SyntheticCKPlusDataModule"]
    assert checkpoint["global_step"] == 4
    assert saved["position"] == {"epoch": 0, "batches_done": 4, "batches_per_epoch": 6, "batch_size": 16}
    order = saved["order"]["order"]
    assert sorted(order.tolist()) == list(range(len(order))) and len(order) > 4 * 16


@pytest.mark.parametrize(
    "saved, expected",
    [
        (None, 0),  # no checkpoint
        (EpochPosition(2, batches_done=0, batches_per_epoch=6, batch_size=16), 0),  # at an epoch's start
        (EpochPosition(2, batches_done=6, batches_per_epoch=6, batch_size=16), 0),  # at its end: next epoch whole
        (EpochPosition(2, batches_done=4, batches_per_epoch=6, batch_size=16), 4),
    ],
)
def test_a_resume_passes_over_the_batches_already_trained_on(saved: EpochPosition | None, expected: int) -> None:
    assert batches_to_skip(saved, batch_size=16) == expected


def test_a_mid_epoch_resume_with_another_batch_size_is_refused() -> None:
    with pytest.raises(SettingError, match="data.batch_size: .*batch size 16, not 32"):
        batches_to_skip(EpochPosition(0, batches_done=4, batches_per_epoch=6, batch_size=16), batch_size=32)
