"""The FAU verdict's figures for the live weights during fit: a trend to watch, never the verdict."""

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from fau_lightning.analysis.controls import default_control_cache
from fau_lightning.analysis.evidence import analysis_probes
from fau_lightning.analysis.pipeline import FAUEvidence, fau_verdict, prepare_evidence, verdict_scalars
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.errors import SettingError


class FAUTrend(Callback):
    """Every `every_n_epochs` validation epochs, judge the live weights and log the verdict's scalars as
    `fau_trend/*` (counts per test and grade, mean AUROCs). The verdict itself is the tested
    checkpoint's, judged when fit ends (`--verdict`); this only shows how the network gets there.
    What depends on the data alone (the untrained networks, the region maps) is made once per fit.

    Args:
        every_n_epochs: judge every this many validation epochs.
        settings: the analysis's settings (the same defaults as `--analysis`).
    """

    def __init__(self, every_n_epochs: int = 5, settings: AnalysisSettings = AnalysisSettings()) -> None:
        if every_n_epochs < 1:
            raise SettingError(f"every_n_epochs: must be at least 1, got {every_n_epochs}")
        self.every_n_epochs, self.settings = every_n_epochs, settings
        self.runs = 0
        self._prepared: FAUEvidence | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._prepared = None  # a new fit may bring new data

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        if self._prepared is None:
            selection, evidence = analysis_probes(trainer.datamodule)
            if not selection.has_aus:
                return
            self._prepared = prepare_evidence(
                pl_module.model, selection, evidence, self.settings, default_control_cache()
            )
        report, _ = fau_verdict(pl_module.model, self._prepared, self.settings)
        trend = {k.replace("fau/", "fau_trend/"): v for k, v in verdict_scalars(report).items()}
        for logger in trainer.loggers:
            logger.log_metrics(trend, step=trainer.global_step)
        self.runs += 1
