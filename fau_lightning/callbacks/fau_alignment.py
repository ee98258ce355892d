"""Log the per-AU FAU verdict of a layer during training."""

import numpy as np
import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_warn

from fau_lightning.analysis.alignment import AlignmentSettings, summary_numbers
from fau_lightning.analysis.alignment_table import COLUMNS, table_rows
from fau_lightning.analysis.report import (
    FAUEvidence,
    analysis_probes,
    best_unit_heatmap,
    best_unit_patches,
    default_control_cache,
    fau_alignment,
    prepare_evidence,
    probe_maxima,
)
from fau_lightning.callbacks.periodic import PeriodicAnalysis
from fau_lightning.tasks.image_logging import log_image
from fau_lightning.viz.figures import image_grid


class FAUAlignmentLogger(PeriodicAnalysis):
    """Every `every_n_epochs` validation epochs and at the end of fit: the FAU verdict of `layer`.

    Best units (quadrants of conv filters' maps) are chosen on at most `max_images` images of the
    training subjects (whole sequences)
    and judged on the held-out subjects (validation and test folds; this only measures, it never
    steers training). Logs the summary scalars (`fau/recovered_aus`, `fau/mean_heldout_auroc`, ...),
    the held-out AUROC heatmap of the best units, and with W&B the per-AU table with each best
    unit's top patches. Data without AU labels: says so once and logs nothing. What depends only on
    the data and the architecture (the untrained controls, the region maps) is made at the first
    run of each fit and reused.

    Args:
        layer: the layer whose units are judged.
        top_k: strongest held-out sequences per unit for the region test.
        min_sequences: positive and negative sequences an AU needs in both sets to be tested.
        shuffles: sequence shuffles per chance distribution.
        cells: units per side of each filter map: 2 = the quadrants fc4 reads, 1 = whole maps.
        control_seeds: how many untrained networks (seeds 0..n-1) make the control distribution
            (at least 2; their activations are cached on disk, so only the first fit pays for them).
        control_cache: folder caching the untrained networks' activations (default: the user cache).
        max_images: at most this many training-subject images for choosing the best units.
        every_n_epochs: run every this many validation epochs.
        at_fit_end: run once more when fit ends.
    """

    def __init__(
        self,
        layer: str = "relu3",
        top_k: int = 25,
        min_sequences: int = 5,
        shuffles: int = 1000,
        cells: int = 2,
        control_seeds: int = 10,
        control_cache: str | None = None,
        max_images: int = 400,
        every_n_epochs: int = 5,
        at_fit_end: bool = True,
    ) -> None:
        super().__init__(every_n_epochs, at_fit_end)
        self.layer, self.max_images = layer, max_images
        self.settings = AlignmentSettings(top_k=top_k, min_sequences=min_sequences, shuffles=shuffles, cells=cells)
        self.control_seeds = list(range(control_seeds))
        self.control_cache = control_cache or default_control_cache()
        self._warned = False
        self._prepared: FAUEvidence | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._prepared = None  # a new fit may bring new data

    def analyse(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        model = pl_module.model
        if self._prepared is None:
            selection, evidence = analysis_probes(trainer.datamodule, self.max_images)
            if not selection.has_aus:
                if not self._warned:
                    rank_zero_warn(f"FAU alignment skipped: {type(trainer.datamodule).__name__} has no FACS AU labels")
                    self._warned = True
                return
            self._prepared = prepare_evidence(
                model, selection, evidence, self.layer, self.settings, self.control_seeds, self.control_cache
            )
        prepared = self._prepared
        maxima = probe_maxima(model, prepared.selection, prepared.evidence, self.layer, self.settings.cells)
        report = fau_alignment(model, prepared, self.layer, self.settings, maxima)
        step = trainer.global_step
        for logger in trainer.loggers:
            logger.log_metrics(summary_numbers(report.verdicts), step=step)
        if not report.verdicts:
            return
        log_image(trainer.loggers, f"fau/{self.layer}_auroc", best_unit_heatmap(report, self.layer), step)
        self._log_table(trainer, report, prepared.evidence.images, maxima[1], step)

    def _log_table(self, trainer: pl.Trainer, report, images: np.ndarray, maxima, step: int) -> None:
        loggers = [lg for lg in trainer.loggers if isinstance(lg, WandbLogger)]
        if not loggers:
            return
        import wandb

        patches = best_unit_patches(trainer.lightning_module.model, report, images, maxima, self.layer, 9)
        rows = [
            [*row, wandb.Image(np.asarray(image_grid(unit_patches, columns=9)))]
            for unit_patches, row in zip(patches, table_rows(report.verdicts), strict=True)
        ]
        for logger in loggers:
            logger.log_table(
                key=f"fau/{self.layer}_verdicts", columns=[*COLUMNS, "top held-out patches"], data=rows, step=step
            )
