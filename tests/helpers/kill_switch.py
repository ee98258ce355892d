"""A callback that kills a training run part-way, as a crash or a pre-emption would."""

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback


class SimulatedCrash(RuntimeError):
    pass


class KillAtStep(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        if trainer.global_step == self.step:
            raise SimulatedCrash(f"killed at step {self.step}")


class KillInFold(Callback):
    """Kill the run of one cross-validation split at a given step, once: the kill leaves `marker`
    behind, so a rerun with the very same settings goes through.
    """

    def __init__(self, fold: int, step: int, marker: str) -> None:
        self.fold = fold
        self.step = step
        self.marker = Path(marker)

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        hit = trainer.datamodule.hparams.fold == self.fold and trainer.global_step == self.step
        if hit and not self.marker.exists():
            self.marker.touch()
            raise SimulatedCrash(f"split {self.fold} killed at step {self.step}")


class SigkillAtStep(Callback):
    """Kill the whole process with SIGKILL when training reaches `step`: no handler, no cleanup, as
    the kernel's OOM killer or a pre-empted node would.
    """

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        if trainer.global_step == self.step:
            import os
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
