"""When analysis callbacks run: every N validation epochs and once when fit ends, on rank zero only."""

import time

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from fau_lightning.errors import SettingError


class PeriodicAnalysis(Callback):
    """Subclasses implement `analyse`; this decides when, and keeps the seconds spent in `seconds`."""

    def __init__(self, every_n_epochs: int = 5, at_fit_end: bool = True) -> None:
        if every_n_epochs < 1:
            raise SettingError(f"every_n_epochs: must be at least 1, got {every_n_epochs}")
        self.every_n_epochs = every_n_epochs
        self.at_fit_end = at_fit_end
        self.seconds = 0.0
        self.runs = 0
        self._last_step = -1

    def analyse(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        raise NotImplementedError

    def _run(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.global_step == self._last_step:
            return
        start = time.perf_counter()
        self.analyse(trainer, pl_module)
        self.seconds += time.perf_counter() - start
        self.runs += 1
        self._last_step = trainer.global_step

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._run(trainer, pl_module)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.at_fit_end:
            self._run(trainer, pl_module)
