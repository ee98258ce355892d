"""The FAU verdict of the tested checkpoint, logged into the training run and written as its report."""

import shutil
import time
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_warn
from torch import nn

from fau_lightning.analysis.alignment import AlignmentSettings
from fau_lightning.analysis.controls import default_control_cache
from fau_lightning.analysis.network import AnalysisSettings, NetworkAnalysis, analyse_network
from fau_lightning.analysis.verdict import FAUEvidence, fau_verdict, prepare_evidence, verdict_line, verdict_scalars
from fau_lightning.callbacks.periodic import best_checkpoint, tested_model
from fau_lightning.datasets.probe import ProbeSet
from fau_lightning.errors import SettingError
from fau_lightning.tasks.image_logging import log_image
from fau_lightning.viz.alignment_table import COLUMNS, table_rows
from fau_lightning.viz.figures import image_grid
from fau_lightning.viz.network_report import best_unit_patches, report_figures, report_numbers, write_report

# report figure key -> where the run logs it (the filter pictures come from FilterVisualization)
LOGGED_FIGURES = {"fau": "fau/{layer}_auroc", "au_patches": "fau/{layer}_best_unit_patches"}


class FAUAlignmentLogger(Callback):
    """When fit ends: the FAU verdict of the checkpoint that is tested (the best
    validation checkpoint), with the same evidence and settings as `fau-analyze`, so both agree.

    Logs the summary scalars (`fau/recovered_aus`, `fau/mean_heldout_auroc`, ...), the figures and,
    with W&B, the per-AU table `fau/<layer>_verdicts` with each best unit's top patches; writes the
    report folder `<checkpoint>.report/` (report.html, report.json) as `fau-analyze` would; and
    hands the CLI the verdict line it prints at the end of the run. The evidence is every training
    subject (for choosing units) and every held-out person: the validation and test folds and the
    data module's `extra_evidence`. Data without AU labels: filter pictures only, and one warning.
    With `trend_every_n_epochs`, the live weights are also judged every that many validation epochs,
    logged as `fau_trend/*` (a trend: not the verdict).

    Args:
        layer: the layer whose units are judged.
        top_k: strongest held-out sequences per unit for the region test.
        min_sequences: positive and negative sequences an AU needs in both sets to be tested.
        shuffles: sequence shuffles per chance distribution.
        cells: units per side of each filter map: 2 = the quadrants fc4 reads, 1 = whole maps.
        strong_auroc: a recovered AU is graded strong at or above this within-emotion AUROC.
        clear_auroc: and clear at or above this one (below it: weak); docs/fau_alignment.md gives their source.
        control_seeds: untrained networks (seeds 0..n-1) in the control distribution (their
            activations are cached on disk, shared with fau-analyze).
        control_cache: folder caching the untrained networks' activations (default: the user cache).
        num_filters: most selective filters shown.
        patches: patches shown per filter and per AU's best unit.
        method: how a unit is projected to pixels: deconvnet or guided_backprop.
        trend_every_n_epochs: also judge the live weights every this many validation epochs (0: never).
        write_report: write the report folder beside the tested checkpoint.
    """

    def __init__(
        self,
        layer: str = "relu3",
        top_k: int = 25,
        min_sequences: int = 5,
        shuffles: int = 1000,
        cells: int = 2,
        strong_auroc: float = AlignmentSettings.strong_auroc,
        clear_auroc: float = AlignmentSettings.clear_auroc,
        control_seeds: int = AnalysisSettings.control_seeds,
        control_cache: str | None = None,
        num_filters: int = 8,
        patches: int = 9,
        method: str = "deconvnet",
        trend_every_n_epochs: int = 0,
        write_report: bool = True,
    ) -> None:
        if trend_every_n_epochs < 0:
            raise SettingError(f"trend_every_n_epochs: must be 0 (never) or more, got {trend_every_n_epochs}")
        if method not in ("deconvnet", "guided_backprop"):
            raise SettingError(f"method: must be deconvnet or guided_backprop, got {method!r}")
        alignment = AlignmentSettings(
            top_k=top_k,
            min_sequences=min_sequences,
            shuffles=shuffles,
            cells=cells,
            strong_auroc=strong_auroc,
            clear_auroc=clear_auroc,
        )
        self.settings = AnalysisSettings(layer, alignment, control_seeds, num_filters, patches, method)
        self.control_cache = control_cache or default_control_cache()
        self.trend_every_n_epochs, self.write_report = trend_every_n_epochs, write_report
        self.trend_runs = 0
        self.analysis: NetworkAnalysis | None = None  # the verdict of the last fit
        self.summary_lines: list[str] = []  # what the CLI prints at the end of the run
        self._probes: tuple[ProbeSet, ProbeSet] | None = None
        self._prepared: FAUEvidence | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._probes, self._prepared = None, None  # a new fit may bring new data
        self.analysis, self.summary_lines = None, []

    def _probe_sets(self, trainer: pl.Trainer) -> tuple[ProbeSet, ProbeSet]:
        if self._probes is None:
            self._probes = trainer.datamodule.analysis_probes()
        return self._probes

    def _evidence(self, trainer: pl.Trainer, model: nn.Module) -> FAUEvidence | None:
        if self._prepared is None:
            selection, evidence = self._probe_sets(trainer)
            if selection.has_aus:
                seeds = list(range(self.settings.control_seeds))
                self._prepared = prepare_evidence(
                    model, selection, evidence, self.settings.layer, self.settings.alignment, seeds, self.control_cache
                )
        return self._prepared

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        every = self.trend_every_n_epochs
        if not every or trainer.sanity_checking or not trainer.is_global_zero or (trainer.current_epoch + 1) % every:
            return
        prepared = self._evidence(trainer, pl_module.model)
        if prepared is None:
            return
        report, _ = fau_verdict(pl_module.model, prepared, self.settings.layer, self.settings.alignment)
        trend = {k.replace("fau/", "fau_trend/"): v for k, v in verdict_scalars(report).items()}
        for logger in trainer.loggers:
            logger.log_metrics(trend, step=trainer.global_step)
        self.trend_runs += 1

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        start = time.perf_counter()
        checkpoint = best_checkpoint(trainer)
        model = tested_model(pl_module.model, checkpoint)
        selection, evidence = self._probe_sets(trainer)
        if not selection.has_aus:
            rank_zero_warn(f"FAU alignment skipped: {type(trainer.datamodule).__name__} has no FACS AU labels")
        analysis = analyse_network(
            model, selection, evidence, self.settings, self.control_cache, self._evidence(trainer, model)
        )
        self.analysis = analysis
        source = checkpoint or "the final weights (no checkpoint callback)"
        numbers = report_numbers(analysis, source, None, f"{type(trainer.datamodule).__name__} has no FACS AU labels")
        figures = report_figures(model, analysis)
        self._log(trainer, model, analysis, figures)
        if analysis.fau is not None:
            self.summary_lines.append(verdict_line(analysis.fau))
        if self.write_report and checkpoint:
            folder = Path(checkpoint).with_suffix(".report")
            partial = folder.with_name(f".{folder.name}.partial")
            shutil.rmtree(partial, ignore_errors=True)
            write_report(partial, numbers, figures, analysis.fau)
            shutil.rmtree(folder, ignore_errors=True)
            partial.rename(folder)
            seconds = time.perf_counter() - start
            self.summary_lines.append(f"FAU report (tested checkpoint, {seconds:.0f} s): {folder / 'report.html'}")

    def _log(self, trainer: pl.Trainer, model: nn.Module, analysis: NetworkAnalysis, figures: dict) -> None:
        step, layer = trainer.global_step, self.settings.layer
        if analysis.fau is not None:
            for logger in trainer.loggers:
                logger.log_metrics(verdict_scalars(analysis.fau), step=step)
        for key, name in LOGGED_FIGURES.items():
            if key in figures:
                log_image(trainer.loggers, name.format(layer=layer), figures[key], step)
        loggers = [lg for lg in trainer.loggers if isinstance(lg, WandbLogger)]
        if not loggers or analysis.fau is None or not analysis.fau.verdicts:
            return
        import wandb

        patches = best_unit_patches(model, analysis)
        rows = [
            [*row, wandb.Image(np.asarray(image_grid(unit_patches, columns=len(unit_patches))))]
            for unit_patches, row in zip(patches, table_rows(analysis.fau), strict=True)
        ]
        for logger in loggers:
            logger.log_table(
                key=f"fau/{layer}_verdicts", columns=[*COLUMNS, "top held-out patches"], data=rows, step=step
            )
