"""A callback that kills a training run part-way, as a crash or a pre-emption would."""

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
    """Kill the run of one cross-validation split at a given step."""

    def __init__(self, fold: int, step: int) -> None:
        self.fold = fold
        self.step = step

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        if trainer.datamodule.hparams.fold == self.fold and trainer.global_step == self.step:
            raise SimulatedCrash(f"split {self.fold} killed at step {self.step}")
