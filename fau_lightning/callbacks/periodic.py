"""When analysis callbacks run: every N validation epochs and once when fit ends, on rank zero only."""

import copy
import time

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from torch import nn

from fau_lightning.checkpoints import read_checkpoint
from fau_lightning.errors import SettingError


def tested_model(model: nn.Module, checkpoint: str) -> nn.Module:
    """A copy of a task's `model` with the weights of the task checkpoint `checkpoint` ("": `model` itself)."""
    if not checkpoint:
        return model
    state = read_checkpoint(checkpoint)["state_dict"]
    tested = copy.deepcopy(model)
    tested.load_state_dict({k.removeprefix("model."): v for k, v in state.items() if k.startswith("model.")})
    return tested.eval()


def best_checkpoint(trainer: pl.Trainer) -> str:
    """The checkpoint `test_after_fit` tests (the best by validation), "" where there is none."""
    callback = trainer.checkpoint_callback
    return callback.best_model_path if callback is not None and callback.best_model_path else ""


class PeriodicAnalysis(Callback):
    """Subclasses implement `analyse(trainer, model)`; this decides when, and keeps the seconds spent in
    `seconds`. At the end of fit `model` has the weights of the checkpoint that is tested.
    """

    def __init__(self, every_n_epochs: int = 5, at_fit_end: bool = True) -> None:
        if every_n_epochs < 1:
            raise SettingError(f"every_n_epochs: must be at least 1, got {every_n_epochs}")
        self.every_n_epochs = every_n_epochs
        self.at_fit_end = at_fit_end
        self.seconds = 0.0
        self.runs = 0
        self._last_step = -1

    def analyse(self, trainer: pl.Trainer, model: nn.Module) -> None:
        raise NotImplementedError

    def _run(self, trainer: pl.Trainer, model: nn.Module) -> None:
        if not trainer.is_global_zero or trainer.global_step == self._last_step:
            return
        start = time.perf_counter()
        self.analyse(trainer, model)
        self.seconds += time.perf_counter() - start
        self.runs += 1
        self._last_step = trainer.global_step

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._run(trainer, pl_module.model)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.at_fit_end:
            self._last_step = -1  # the tested checkpoint may differ from the last epoch's weights
            self._run(trainer, tested_model(pl_module.model, best_checkpoint(trainer)))
