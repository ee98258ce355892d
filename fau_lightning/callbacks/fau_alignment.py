"""Log how well a layer's filters align with FACS action units (DESIGN §5)."""

import numpy as np
import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_warn

from fau_lightning.analysis.alignment import summary_numbers, top_k_images
from fau_lightning.analysis.figures import heatmap_image, image_grid
from fau_lightning.analysis.receptive_field import receptive_field
from fau_lightning.analysis.report import fau_alignment, filter_patches, layer_maxima
from fau_lightning.callbacks.periodic import PeriodicAnalysis
from fau_lightning.data.facs import ACTION_UNITS
from fau_lightning.tasks.image_logging import log_image


class FAUAlignmentLogger(PeriodicAnalysis):
    """Every `every_n_epochs` validation epochs and at the end of fit, on at most `max_images` images
    of the `stage` split: the summary scalars (`fau/mean_best_auroc`, `fau/aligned_aus`), the
    best-filters x AUs AUROC heatmap, and with W&B a table of each AU's best filter with its patches.
    Data without AU labels: says so once and logs nothing."""

    def __init__(
        self,
        layer: str = "relu3",
        top_k: int = 25,
        min_support: int = 10,
        shuffles: int = 20,
        stage: str = "train",
        max_images: int = 600,
        every_n_epochs: int = 5,
        at_fit_end: bool = True,
    ) -> None:
        super().__init__(every_n_epochs, at_fit_end)
        self.layer, self.top_k, self.min_support, self.shuffles = layer, top_k, min_support, shuffles
        self.stage, self.max_images = stage, max_images
        self._warned = False

    def analyse(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        probe = trainer.datamodule.probe_set(self.stage).sample(self.max_images)
        if not probe.has_aus:
            if not self._warned:
                rank_zero_warn(f"FAU alignment skipped: {type(trainer.datamodule).__name__} has no FACS AU labels")
                self._warned = True
            return
        model = pl_module.model
        maxima = layer_maxima(model, probe, self.layer)
        report = fau_alignment(model, probe, self.layer, self.top_k, self.min_support, self.shuffles, maxima=maxima)
        step = trainer.global_step
        for logger in trainer.loggers:
            logger.log_metrics(summary_numbers(report.alignments), step=step)
        if not report.alignments:
            return
        best = sorted({a.best_filter for a in report.alignments})
        heat = report.auroc[best]
        labels = [f"AU{au}" for au in report.au_codes]
        title = f"{self.layer}: AUROC of each AU's best filter (rows) for every AU"
        log_image(trainer.loggers, f"fau/{self.layer}_auroc", heatmap_image(heat, [f"f{f}" for f in best], labels, title), step)
        self._log_table(trainer, report, probe, maxima, step)

    def _log_table(self, trainer: pl.Trainer, report, probe, maxima, step: int) -> None:
        loggers = [lg for lg in trainer.loggers if isinstance(lg, WandbLogger)]
        if not loggers:
            return
        import wandb

        rf = receptive_field(trainer.lightning_module.model.features, self.layer)
        top = top_k_images(maxima.values, 9)
        columns = ["AU", "name", "images", "best filter", "AUROC", "chance (95%)", "aligned", "top-K lift", "spatial", "found in", "partner AU", "partner share", "top patches"]
        rows = []
        for a in report.alignments:
            f = a.best_filter
            grid = image_grid(filter_patches(probe.images, rf, maxima, f, top[f]), columns=9)
            name = ACTION_UNITS[a.au].name if a.au in ACTION_UNITS else ""
            rows.append([a.au, name, a.support, f, a.auroc, a.chance, a.aligned, a.lift, a.spatial, a.found_in, a.partner, a.partner_share, wandb.Image(np.asarray(grid))])
        for logger in loggers:
            logger.log_table(key=f"fau/{self.layer}_best_filters", columns=columns, data=rows, step=step)
