"""What every task shares: the network (the zero-bias CNN unless the config names another), speed options,
the optimiser, and a record in each checkpoint of which task wrote it.
"""

import importlib
import os
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import pytorch_lightning as pl
import torch

from fau_lightning.checkpoint import MODEL_RECORD_KEY, TASK_KEY, checked_task_name, read_checkpoint
from fau_lightning.checkpoint.allowed_tasks import TASK_MODULES
from fau_lightning.checkpoint.record import build_record
from fau_lightning.errors import SettingError
from fau_lightning.evaluation.task_reports import TaskReport
from fau_lightning.models import probabilities
from fau_lightning.models.factory import ZERO_BIAS, spec_from_arguments

HISTORY_KEY = "fau_history"  # checkpoint entry: the per-epoch train and validation figures up to that checkpoint
EPOCH_SO_FAR_KEY = "fau_train_epoch_so_far"  # checkpoint entry: the training epoch's running sums (mid-epoch resume)


class FaceTask(pl.LightningModule, ABC):
    """A network with `num_classes` outputs (the zero-bias CNN by default), trained by SGD with momentum
    (the paper's defaults).

    Speed options, none of which changes what is computed: `channels_last` keeps activations in
    NHWC memory order; `compile` runs the forward pass through `torch.compile` (the eager module
    stays `self.model`, so analysis hooks and checkpoints see the same names).

    Args:
        num_classes: outputs of the network (linked from the data module).
        class_names: a name per output (linked from the data module).
        network: the body: zero_bias_cnn (the paper's), timm:<model> (e.g. timm:resnet18, randomly
            initialised, one input channel), or an nn.Module class path (module.Class) taking
            num_classes and in_channels keywords (docs/networks.md).
        network_options: further keyword arguments of a timm model or class (not for zero_bias_cnn).
        network_weights: a local file of initial weights (a timm pretrained file, or a state_dict);
            nothing is downloaded.
        in_channels: image channels (1: grayscale, as in the paper).
        widths: zero_bias_cnn: filters of conv1, conv2 and conv3 (the paper's 64, 128, 256).
        hidden_units: zero_bias_cnn: units of the dense layer fc4 (the paper's 300).
        dropout: zero_bias_cnn: dropout on fc4's input (the paper's "d" variants use 0.5).
        init: zero_bias_cnn: "paper" (N(0, (k/sqrt(fan_in))^2), one k ~ U(0.2, 1.2) a run) or "pytorch".
        norm_divide_by_std: zero_bias_cnn: also divide by the local standard deviation after the 5x5
            mean subtraction.
        lr: SGD learning rate.
        momentum: SGD momentum.
        weight_decay: L2 weight decay.
        channels_last: NHWC memory order (faster on GPUs with tensor cores).
        compile: run the forward pass through torch.compile.
    """

    selection_metric: ClassVar[str]  # the validation metric (higher is better) a best checkpoint is chosen on
    report: ClassVar[TaskReport]  # its headline test figure, the end-of-run summary, the cross-validation summary
    multi_label: ClassVar[bool] = False  # outputs are one softmax over classes (True: a sigmoid per label)

    def __init__(
        self,
        num_classes: int = 8,
        class_names: list[str] | None = None,
        network: str = ZERO_BIAS,
        network_options: dict | None = None,
        network_weights: str | None = None,
        in_channels: int = 1,
        widths: tuple[int, int, int] = (64, 128, 256),
        hidden_units: int = 300,
        dropout: float = 0.0,
        init: str = "paper",
        norm_divide_by_std: bool = False,
        lr: float = 0.01,
        momentum: float = 0.9,
        weight_decay: float = 1e-5,
        channels_last: bool = False,
        compile: bool = False,
    ) -> None:
        super().__init__()
        if class_names is not None and len(class_names) != num_classes:
            raise SettingError(f"class_names: {len(class_names)} given for {num_classes} classes")
        self.save_hyperparameters()
        self.class_names = class_names or [str(i) for i in range(num_classes)]
        # the weights file is read when a fit starts (`load_initial_weights`), not here, where a checkpoint of
        # this task is also rebuilt (on a machine that may not hold the file)
        self.model = spec_from_arguments(self.hparams, weights=False).build()
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        # set past nn.Module's registration, so the compiled wrapper adds no second copy of the weights to state_dict
        object.__setattr__(self, "_forward", torch.compile(self.model) if compile else self.model)
        self.build_metrics(num_classes)
        self.history: dict[int, dict[str, float]] = {}  # epoch -> its train and validation figures
        self.tested_checkpoint: dict[str, int] = {}  # epoch and step of the checkpoint last loaded, e.g. for testing
        self._loss_sums: dict[str, list[torch.Tensor]] = {}  # stage -> [sum of batch losses x images, images]
        self._saved_epoch_so_far: dict | None = None  # from a resumed checkpoint, until training goes on

    @abstractmethod
    def build_metrics(self, num_classes: int) -> None:
        """Create the task's torchmetrics modules."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(x.contiguous(memory_format=self.memory_format))

    @abstractmethod
    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        """Loss of one batch, with the stage's metrics updated."""

    def log_loss(self, stage: str, loss: torch.Tensor, batch_size: int) -> None:
        """Log a batch's loss: per step in training (its epoch mean, `train/loss_epoch`, comes from the running
        sums a checkpoint keeps), per epoch (synced across devices) otherwise.
        """
        total, images = self._loss_sums.setdefault(stage, [torch.zeros((), device=loss.device) for _ in range(2)])
        total += loss.detach().float() * batch_size
        images += batch_size
        if stage == "train":
            self.log("train/loss_step", loss, on_step=True, on_epoch=False, batch_size=batch_size, prog_bar=True)
        else:
            self.log(f"{stage}/loss", loss, on_epoch=True, batch_size=batch_size, sync_dist=True)

    @abstractmethod
    def _log_epoch(self, stage: str) -> dict[str, float]:
        """Log and reset the stage's metrics; returns the headline ones for the history."""

    def test_confusion(self) -> np.ndarray | None:
        """The latest test epoch's confusion matrix, for tasks that have one."""
        return None

    def test_record(self, metrics: dict[str, float], split: str) -> dict:
        """What a test leaves for result.json and report.json: the report that reads it, the split, the
        metrics, the class names and the confusion matrix (None where the task has none).
        """
        confusion = self.test_confusion()
        return {
            "report": self.report.name,
            "split": split,
            "metrics": metrics,
            "class_names": list(self.class_names),
            "confusion": confusion.tolist() if confusion is not None else None,
        }

    def _end_epoch(self, stage: str) -> None:
        """Log the stage's metrics and, in fit, keep them with the epoch's mean loss in `history`."""
        figures = self._log_epoch(stage)
        total, images = self._loss_sums.pop(stage, (torch.zeros(()), torch.zeros(())))
        if stage == "test" or self.trainer.sanity_checking:
            return
        row = self.history.setdefault(self.current_epoch, {"epoch": self.current_epoch})
        row["step"] = self.global_step
        if float(images) > 0:
            row[f"{stage}/loss"] = float(total / images)
        row.update({key: float(value) for key, value in figures.items()})

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def predict_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        """Probabilities of a batch's images (its first element)."""
        return probabilities(self(batch[0]), self.multi_label)

    def on_train_epoch_end(self) -> None:
        self._take_back_epoch_sums()
        total, images = self._loss_sums.get("train", (torch.zeros(()), torch.zeros(())))
        if float(images) > 0:
            self.log("train/loss_epoch", total / images, on_step=False, on_epoch=True)
        self._end_epoch("train")

    def on_train_batch_start(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._take_back_epoch_sums()

    def _take_back_epoch_sums(self) -> None:
        """After a resume, the running sums of the epoch the checkpoint was written in, when training goes on
        in that epoch: at its next batch (written mid-epoch) or at its end (written by the validation that
        ends it, which runs before the epoch's end).
        """
        saved, self._saved_epoch_so_far = self._saved_epoch_so_far, None
        if saved is not None and saved["epoch"] == self.current_epoch:
            self._loss_sums["train"] = [value.to(self.device) for value in saved["loss_sums"]]
            if "train_metrics" in self.metrics:
                restore_metric_states(self.metrics["train_metrics"], saved["metrics"], self.device)

    def on_validation_epoch_end(self) -> None:
        self._end_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._end_epoch("test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        hp = self.hparams
        return torch.optim.SGD(self.parameters(), lr=hp.lr, momentum=hp.momentum, weight_decay=hp.weight_decay)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[TASK_KEY] = f"{type(self).__module__}.{type(self).__qualname__}"
        checkpoint[HISTORY_KEY] = [self.history[epoch] for epoch in sorted(self.history)]
        if "train" in self._loss_sums:
            metrics = self.metrics["train_metrics"] if "train_metrics" in self.metrics else None
            checkpoint[EPOCH_SO_FAR_KEY] = {
                "epoch": self.current_epoch,
                "loss_sums": [value.cpu() for value in self._loss_sums["train"]],
                "metrics": metric_states(metrics) if metrics is not None else {},
            }
        datamodule = self._trainer.datamodule if self._trainer is not None else None
        if hasattr(datamodule, "data_record"):
            seed = os.environ.get("PL_GLOBAL_SEED")  # Lightning's seed_everything sets it
            checkpoint[MODEL_RECORD_KEY] = build_record(
                self.class_names,
                self.multi_label,
                bool(self.hparams.get("norm_divide_by_std")),
                datamodule.data_record(),
                str(self.trainer.precision),
                int(seed) if seed is not None else None,
            )

    def on_fit_start(self) -> None:
        if self.trainer.ckpt_path is None:  # a new fit, not a resumed one
            self.load_initial_weights()

    def load_initial_weights(self) -> None:
        """Start from `network_weights` where it names a file (the global random state left as it was)."""
        spec = spec_from_arguments(self.hparams)
        if spec.weights is None:
            return
        with torch.random.fork_rng(devices=[]):
            self.model.load_state_dict(spec.build().state_dict())

    def on_train_end(self) -> None:
        self.tested_checkpoint = {}  # the weights are now the last epoch's, whatever was loaded to resume

    def weights_name(self, stage: str) -> str:
        """What a stage's figures were computed with, for titles: "val, epoch 3" or "test, checkpoint of
        epoch 27 (step 448)" (epochs counted from 0, as Lightning and the logged `epoch` count them).
        """
        if stage == "test" and self.tested_checkpoint:
            epoch, step = self.tested_checkpoint["epoch"], self.tested_checkpoint["step"]
            return f"test, checkpoint of epoch {epoch} (step {step})"
        return f"{stage}, epoch {self.current_epoch}"

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.history = {int(row["epoch"]): dict(row) for row in checkpoint.get(HISTORY_KEY, [])}
        self._saved_epoch_so_far = checkpoint.get(EPOCH_SO_FAR_KEY)
        known = "epoch" in checkpoint and "global_step" in checkpoint
        self.tested_checkpoint = {"epoch": checkpoint["epoch"], "step": checkpoint["global_step"]} if known else {}


def metric_states(metrics: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The running states of torchmetrics modules (not in `state_dict`, where they are not persistent)."""
    metrics.persistent(True)
    try:
        return {name: value.detach().cpu() for name, value in metrics.state_dict().items()}
    finally:
        metrics.persistent(False)


def restore_metric_states(metrics: torch.nn.Module, states: dict[str, torch.Tensor], device: torch.device) -> None:
    """Put back what `metric_states` took, on `device`."""
    metrics.persistent(True)
    try:
        metrics.load_state_dict({name: value.to(device) for name, value in states.items()})
    finally:
        metrics.persistent(False)


def checked_task_class(checkpoint: dict, source: str | os.PathLike) -> type[FaceTask]:
    """The task class a checkpoint was written by, once every name in it is checked (`checked_task_name`)."""
    name = checked_task_name(checkpoint, source)
    return getattr(importlib.import_module(TASK_MODULES[name]), name)


def load_task(checkpoint_path: str | os.PathLike, map_location: str | torch.device = "cpu") -> FaceTask:
    """Reload whichever task wrote the checkpoint, once every name in it is checked (`checked_task_class`)."""
    cls = checked_task_class(read_checkpoint(checkpoint_path, map_location), checkpoint_path)
    return cls.load_from_checkpoint(checkpoint_path, map_location=map_location, weights_only=True)
