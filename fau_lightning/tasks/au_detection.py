"""Action-unit detection with the zero-bias CNN: one sigmoid output per AU (multi-label).

The same network body as the expression classifier, trained on the FACS codes themselves: a
feature in its own right (AU detectors), and the FAU analysis's positive control, since a network
trained on AUs is one that has learned them.
"""

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MultilabelAUROC,
    MultilabelF1Score,
    MultilabelStatScores,
)

from fau_lightning.evaluation.task_reports import AUDetectionReport
from fau_lightning.tasks.base import FaceTask

STAGES = ("train", "val", "test")


class AUDetector(FaceTask):
    """Binary cross-entropy per AU, summed over AUs; outputs are AU logits (`class_names` are the AUs, e.g. "AU12").

    Logs per stage `<stage>/loss`, and for val and test `<stage>/auroc` and `<stage>/f1` (means over
    AUs, threshold 0.5) with `<stage>/auroc_au/<AU>` and `<stage>/f1_au/<AU>` per AU. An AU without
    positives or negatives in a split has no AUROC there (NaN) and is left out of both means.
    Arguments: see `FaceTask`.
    """

    selection_metric = "val/auroc"  # what the best checkpoint is chosen on
    report = AUDetectionReport()
    multi_label = True

    def build_metrics(self, num_classes: int) -> None:
        metrics = MetricCollection(
            {
                "auroc": MultilabelAUROC(num_classes, average="none"),
                "f1": MultilabelF1Score(num_classes, average="none"),
                "counts": MultilabelStatScores(num_classes, average="none"),  # (AU, [tp, fp, tn, fn, support])
            }
        )
        self.metrics = torch.nn.ModuleDict(
            {f"{stage}_metrics": metrics.clone(prefix=f"{stage}/") for stage in ("val", "test")}
        )

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        images, targets = batch
        logits = self(images)
        # summed over AUs, averaged over images: each image weighs as much as in cross-entropy (a mean over
        # AUs too would scale gradients down by the number of AUs, and SGD at lr 0.01 barely moves)
        loss = F.binary_cross_entropy_with_logits(logits, targets.float(), reduction="none").sum(dim=1).mean()
        self.log_loss(stage, loss, len(targets))
        if f"{stage}_metrics" in self.metrics:
            self.metrics[f"{stage}_metrics"].update(logits.sigmoid(), targets.long())
        return loss

    def _log_epoch(self, stage: str) -> dict[str, float]:
        if f"{stage}_metrics" not in self.metrics:
            return {}
        collection = self.metrics[f"{stage}_metrics"]
        values = collection.compute()
        collection.reset()
        counts = values.pop(f"{stage}/counts")
        both_seen = (counts[:, 4] > 0) & (counts[:, 1] + counts[:, 2] > 0)  # the AU has positives and negatives here
        logged = {}
        for metric in ("auroc", "f1"):
            per_au = values[f"{stage}/{metric}"].float()
            if metric == "auroc":
                per_au = torch.where(both_seen, per_au, torch.nan)
            logged[f"{stage}/{metric}"] = per_au[both_seen].mean() if both_seen.any() else torch.tensor(float("nan"))
            logged |= {f"{stage}/{metric}_au/{name}": v for name, v in zip(self.class_names, per_au, strict=True)}
        headline = {key: logged[key] for key in (f"{stage}/auroc", f"{stage}/f1")}
        self.log(f"{stage}/auroc", logged.pop(f"{stage}/auroc"), prog_bar=stage != "test")
        self.log_dict(logged)
        return headline
