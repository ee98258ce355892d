"""Expression classification with the zero-bias CNN: loss, metrics, optimiser."""

import numpy as np
import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix, MulticlassStatScores

from fau_lightning.evaluation.task_reports import ClassificationReport
from fau_lightning.run_logging.images import log_image
from fau_lightning.tasks.base import FaceTask
from fau_lightning.viz.figures import confusion_matrix_image

STAGES = ("train", "val", "test")


class ExpressionClassifier(FaceTask):
    """Cross-entropy on the zero-bias CNN, SGD with momentum, the paper's settings as defaults.

    Logs per stage `<stage>/acc` (micro: share of images right; train and val also in the progress
    bar), `<stage>/acc_macro` (mean of the per-class accuracies), `<stage>/acc_class/<name>` (NaN,
    shown as missing, for a class with no image in the split; the mean leaves it out), and for val
    and test the confusion matrix as an image with class names. All arguments are saved, so a
    checkpoint reloads on its own.
    Arguments: see `FaceTask`.
    """

    selection_metric = "val/acc"  # what the best checkpoint is chosen on
    report = ClassificationReport()

    def build_metrics(self, num_classes: int) -> None:
        metrics = MetricCollection(
            {
                "acc": MulticlassAccuracy(num_classes, average="micro"),
                "class_counts": MulticlassStatScores(num_classes, average="none"),  # tp, fp, tn, fn, support
            }
        )
        self.metrics = torch.nn.ModuleDict({f"{stage}_metrics": metrics.clone(prefix=f"{stage}/") for stage in STAGES})
        self.confusion = torch.nn.ModuleDict(
            {f"{stage}_confusion": MulticlassConfusionMatrix(num_classes) for stage in ("val", "test")}
        )
        self.last_confusion: dict[str, np.ndarray] = {}  # stage -> counts of the latest val/test epoch

    def test_confusion(self) -> np.ndarray | None:
        return self.last_confusion.get("test")

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        images, targets = batch
        logits = self(images)
        loss = F.cross_entropy(logits, targets)
        self.log_loss(stage, loss, len(targets))
        preds = logits.argmax(dim=1)
        self.metrics[f"{stage}_metrics"].update(preds, targets)
        if f"{stage}_confusion" in self.confusion:
            self.confusion[f"{stage}_confusion"].update(preds, targets)
        return loss

    def _log_epoch(self, stage: str) -> dict[str, float]:
        values = self.metrics[f"{stage}_metrics"].compute()
        counts = values.pop(f"{stage}/class_counts")
        support = counts[:, 4].float()
        per_class = torch.where(support > 0, counts[:, 0] / support.clamp(min=1), torch.nan)
        values[f"{stage}/acc_macro"] = per_class.nanmean() if (support > 0).any() else torch.tensor(torch.nan)
        values.update({f"{stage}/acc_class/{name}": acc for name, acc in zip(self.class_names, per_class, strict=True)})
        headline = {key: values[key] for key in (f"{stage}/acc", f"{stage}/acc_macro")}
        self.log(f"{stage}/acc", values.pop(f"{stage}/acc"), prog_bar=stage != "test")
        self.log_dict(values)
        self.metrics[f"{stage}_metrics"].reset()
        if f"{stage}_confusion" in self.confusion:
            confusion = self.confusion[f"{stage}_confusion"]
            matrix = confusion.compute().cpu().numpy()
            confusion.reset()
            self.last_confusion[stage] = matrix
            if not self.trainer.sanity_checking and self.trainer.is_global_zero:
                title = f"{self.weights_name(stage)}, acc {float(np.trace(matrix) / max(matrix.sum(), 1)):.3f}"
                log_image(
                    self.loggers,
                    f"{stage}/confusion_matrix",
                    confusion_matrix_image(matrix, self.class_names, title),
                    self.global_step,
                )
        return headline
