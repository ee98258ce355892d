"""Expression classification with the zero-bias CNN: loss, metrics, optimiser."""

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix

from fau_lightning.analysis.figures import confusion_matrix_image
from fau_lightning.models import ZeroBiasCNN
from fau_lightning.tasks.image_logging import log_image

STAGES = ("train", "val", "test")


class ExpressionClassifier(pl.LightningModule):
    """Cross-entropy on the zero-bias CNN, SGD with momentum, the paper's settings as defaults.

    Logs per stage `<stage>/acc` (micro: share of images right), `<stage>/acc_macro` (mean of the
    per-class accuracies), `<stage>/acc_class/<name>`, and for val and test the confusion matrix
    as an image with class names. All arguments are saved, so a checkpoint reloads on its own.

    Speed options, none of which changes what is computed: `channels_last` keeps activations in
    NHWC memory order; `compile` runs the forward pass through `torch.compile` (the eager module
    stays `self.model`, so analysis hooks and checkpoints see the same names).
    """

    def __init__(
        self,
        num_classes: int = 8,
        class_names: list[str] | None = None,
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
            raise ValueError(f"{len(class_names)} class names given for {num_classes} classes")
        self.save_hyperparameters()
        self.class_names = class_names or [str(i) for i in range(num_classes)]
        self.model = ZeroBiasCNN(
            num_classes=num_classes,
            in_channels=in_channels,
            widths=widths,
            hidden_units=hidden_units,
            dropout=dropout,
            init=init,
            norm_divide_by_std=norm_divide_by_std,
        )
        metrics = MetricCollection(
            {
                "acc": MulticlassAccuracy(num_classes, average="micro"),
                "acc_macro": MulticlassAccuracy(num_classes, average="macro"),
                "acc_per_class": MulticlassAccuracy(num_classes, average="none"),
            }
        )
        self.metrics = torch.nn.ModuleDict({f"{stage}_metrics": metrics.clone(prefix=f"{stage}/") for stage in STAGES})
        self.confusion = torch.nn.ModuleDict({f"{stage}_confusion": MulticlassConfusionMatrix(num_classes) for stage in ("val", "test")})
        self.last_confusion: dict[str, np.ndarray] = {}  # stage -> counts of the latest val/test epoch
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        # set past nn.Module's registration, so the compiled wrapper adds no second copy of the weights to state_dict
        object.__setattr__(self, "_forward", torch.compile(self.model) if compile else self.model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(x.contiguous(memory_format=self.memory_format))

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        images, targets = batch
        logits = self(images)
        loss = F.cross_entropy(logits, targets)
        self.log(f"{stage}/loss", loss, on_step=stage == "train", on_epoch=True, batch_size=len(targets), sync_dist=stage != "train")
        preds = logits.argmax(dim=1)
        self.metrics[f"{stage}_metrics"].update(preds, targets)
        if f"{stage}_confusion" in self.confusion:
            self.confusion[f"{stage}_confusion"].update(preds, targets)
        return loss

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test")

    def predict_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self(batch[0]).softmax(dim=1)

    def _log_epoch(self, stage: str) -> None:
        values = self.metrics[f"{stage}_metrics"].compute()
        per_class = values.pop(f"{stage}/acc_per_class")
        values.update({f"{stage}/acc_class/{name}": acc for name, acc in zip(self.class_names, per_class, strict=True)})
        self.log_dict(values)
        self.metrics[f"{stage}_metrics"].reset()
        if f"{stage}_confusion" in self.confusion:
            confusion = self.confusion[f"{stage}_confusion"]
            matrix = confusion.compute().cpu().numpy()
            confusion.reset()
            self.last_confusion[stage] = matrix
            if not self.trainer.sanity_checking and self.trainer.is_global_zero:
                title = f"{stage} epoch {self.current_epoch}, acc {float(values[f'{stage}/acc']):.3f}"
                log_image(self.loggers, f"{stage}/confusion_matrix", confusion_matrix_image(matrix, self.class_names, title), self.global_step)

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        hp = self.hparams
        return torch.optim.SGD(self.parameters(), lr=hp.lr, momentum=hp.momentum, weight_decay=hp.weight_decay)
