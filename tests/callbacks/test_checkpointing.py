"""Checkpoint selection reads only validation metrics; a killed run resumes exactly."""

import json
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from fau_lightning.callbacks import BestValidationCheckpoint
from fau_lightning.cli.train import run_cli
from tests.helpers.kill_switch import SimulatedCrash
from tests.helpers.tiny import REPO, tiny_args


def test_monitor_outside_validation_is_refused() -> None:
    with pytest.raises(ValueError, match="validation metrics only"):
        BestValidationCheckpoint(monitor="test/acc")
    with pytest.raises(ValueError, match="validation metrics only"):
        BestValidationCheckpoint(monitor="train/acc")


class ScriptedScores(pl.LightningModule):
    """Logs a scripted val/acc per epoch, and a test-looking metric that peaks elsewhere."""

    VAL = [0.2, 0.9, 0.5, 0.6]
    TEST = [0.1, 0.2, 0.99, 0.3]

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 2)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0]).sum()

    def validation_step(self, batch, batch_idx):
        pass

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self.log("val/acc", self.VAL[self.current_epoch])
            self.log("test/acc", self.TEST[self.current_epoch])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


class NoTestDuringFit(pl.LightningDataModule):
    def _loader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)

    def train_dataloader(self) -> DataLoader:
        return self._loader()

    def val_dataloader(self) -> DataLoader:
        return self._loader()

    def test_dataloader(self) -> DataLoader:
        raise AssertionError("the test split was touched during fit")


def test_selection_reads_only_the_validation_metric(tmp_path: Path) -> None:
    checkpoint = BestValidationCheckpoint(dirpath=tmp_path)
    trainer = pl.Trainer(
        max_epochs=4, callbacks=[checkpoint], logger=False, enable_progress_bar=False, enable_model_summary=False
    )
    trainer.fit(ScriptedScores(), datamodule=NoTestDuringFit())
    assert checkpoint.best_model_score == pytest.approx(0.9)
    assert "step=000004" in Path(checkpoint.best_model_path).name  # end of epoch 1 (2 steps an epoch)
    assert sorted(p.name for p in tmp_path.glob("*.ckpt")) == ["best-step=000004.ckpt", "last.ckpt"]


def test_killed_run_resumes_from_last_and_ends_like_an_unbroken_run(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    csv = ["--config", str(REPO / "configs" / "loggers" / "csv.yaml")]

    def args(folder: Path, *extra: str) -> list[str]:
        logger = [f"--trainer.logger.init_args.save_dir={folder}", "--trainer.logger.init_args.version=0"]
        return [
            "fit",
            *tiny_args(
                tiny_synthetic_root, folder, *csv, *logger, "--trainer.max_epochs=4", "--test_after_fit=false", *extra
            ),
        ]

    unbroken = run_cli(args(tmp_path / "unbroken"))
    steps_per_epoch = unbroken.trainer.global_step // 4
    kill = json.dumps(
        {"class_path": "tests.helpers.kill_switch.KillAtStep", "init_args": {"step": 2 * steps_per_epoch + 1}}
    )
    with pytest.raises(SimulatedCrash):
        run_cli(args(tmp_path / "broken", f"--trainer.callbacks+={kill}"))
    (last,) = (tmp_path / "broken").rglob("last.ckpt")
    assert torch.load(last, weights_only=False)["global_step"] == 2 * steps_per_epoch  # the latest validation's state
    resumed = run_cli(args(tmp_path / "broken", "--ckpt_path=last"))  # same run folder, as a user would rerun
    assert resumed.trainer.global_step == unbroken.trainer.global_step
    # Tolerance: identical on CPU in practice; 1e-6 allows for a different summation order.
    for metric in ("val/acc", "val/loss", "train/acc"):
        assert float(resumed.trainer.callback_metrics[metric]) == pytest.approx(
            float(unbroken.trainer.callback_metrics[metric]), abs=1e-6
        )
    for (name, a), (_, b) in zip(unbroken.model.state_dict().items(), resumed.model.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name


def test_last_checkpoint_follows_every_validation_even_without_improvement(tmp_path: Path) -> None:
    checkpoint = BestValidationCheckpoint(dirpath=tmp_path)
    trainer = pl.Trainer(
        max_epochs=3, callbacks=[checkpoint], logger=False, enable_progress_bar=False, enable_model_summary=False
    )
    trainer.fit(ScriptedScores(), datamodule=NoTestDuringFit())  # val/acc 0.2, 0.9, 0.5: no new best at epoch 2
    assert torch.load(tmp_path / "last.ckpt", weights_only=False)["global_step"] == 6
    assert not list(tmp_path.glob("*.tmp"))
