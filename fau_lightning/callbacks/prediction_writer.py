"""`fau-train predict` writes its predictions to a CSV in the run folder."""

from pathlib import Path

import pytorch_lightning as pl
import torch
import torch.distributed as dist
from pytorch_lightning.callbacks import BasePredictionWriter
from pytorch_lightning.loggers import WandbLogger

from fau_lightning.inference.rows import RowWriter, class_columns, present_labels


def run_folder(trainer: pl.Trainer) -> Path:
    """The run's own folder: W&B's files/ (uploaded with the run), another logger's log_dir, else the root."""
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            return Path(logger.experiment.dir)
        if logger.log_dir:
            return Path(logger.log_dir)
    return Path(trainer.default_root_dir)


def true_label(class_names: list[str], target: torch.Tensor, multi_label: bool) -> str:
    """The target in words: a class name ("" for none), or the labels present, space-separated."""
    if multi_label:
        return present_labels(class_names, target.tolist())
    return class_names[int(target)] if int(target) >= 0 else ""


class PredictionWriter(BasePredictionWriter):
    """One row per image of the data module's `predict_split`: its file, split, true label, predicted
    class and a probability column per class, written when prediction ends (rows of every device
    gathered, in the data's order) through a temporary file.

    Args:
        filename: the file's name inside the run folder.
    """

    def __init__(self, filename: str = "predictions.csv") -> None:
        super().__init__(write_interval="batch")
        self.filename = filename
        self.rows: list[tuple[int, dict]] = []
        self.path: Path | None = None

    def on_predict_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.rows = []

    def write_on_batch_end(self, trainer, pl_module, prediction, batch_indices, batch, batch_idx, dataloader_idx):
        _, targets, numbers = batch
        datamodule = trainer.datamodule
        names, multi_label = list(pl_module.class_names), pl_module.multi_label
        for number, target, probabilities in zip(numbers.tolist(), targets, prediction.float().cpu().numpy()):
            row = {"source": str(datamodule.predict_sources[number]), "split": datamodule.predict_split}
            row["true"] = true_label(names, target, multi_label)
            self.rows.append((number, row | class_columns(names, probabilities, multi_label)))

    def on_predict_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        rows = self.rows
        if dist.is_available() and dist.is_initialized() and trainer.world_size > 1:
            gathered: list = [None] * trainer.world_size
            dist.all_gather_object(gathered, rows)
            rows = [row for part in gathered for row in part]
        if not trainer.is_global_zero:
            return
        in_order = dict(sorted(rows, key=lambda numbered: numbered[0]))  # a distributed sampler repeats a few
        self.path = run_folder(trainer) / self.filename
        with RowWriter(self.path, ["source", "split", "true", "predicted"], list(pl_module.class_names)) as writer:
            for row in in_order.values():
                writer.write(row)
        print(f"predictions ({len(in_order)} rows): {self.path}")
