"""Log what a layer's most selective filters respond to while training: top-K patches and their projections."""

import time

import numpy as np
import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from fau_lightning.analysis.evidence import split_probe_set
from fau_lightning.analysis.filters import filter_report
from fau_lightning.analysis.layers import AUTO, resolve_layer
from fau_lightning.errors import SettingError
from fau_lightning.run_logging.images import log_image
from fau_lightning.viz.figures import image_grid
from fau_lightning.viz.network_report import first_filters_image


class FilterVisualization(Callback):
    """Every `every_n_epochs` validation epochs, log the top-K patches of the `num_filters` most
    selective filters of `layer` (one row each), the deconvnet (or guided-backprop) projection of
    each filter's strongest activation where the network allows one, and the first convolution's
    filters, on at most `max_images` images of the `stage` split. The tested checkpoint's pictures
    come with its report when fit ends.

    Args:
        layer: the layer whose filters are shown: a module path of the network (relu1..relu3 for the
            zero-bias CNN, layer1..layer4 for resnet18), or auto (the layer the FAU verdict judges).
        num_filters: how many filters, most selective first (top-K mean over overall mean).
        top_k: patches shown per filter.
        method: "deconvnet" (Zeiler & Fergus, as the paper) or "guided_backprop".
        stage: the split whose images are probed (train, val or test).
        max_images: at most this many images, whole sequences drawn at random.
        every_n_epochs: run every this many validation epochs.
    """

    def __init__(
        self,
        layer: str = AUTO,
        num_filters: int = 8,
        top_k: int = 9,
        method: str = "deconvnet",
        stage: str = "val",
        max_images: int = 256,
        every_n_epochs: int = 5,
    ) -> None:
        if every_n_epochs < 1:
            raise SettingError(f"every_n_epochs: must be at least 1, got {every_n_epochs}")
        if method not in ("deconvnet", "guided_backprop"):
            raise SettingError(f"method: must be deconvnet or guided_backprop, got {method!r}")
        self.layer, self.num_filters, self.top_k, self.method = layer, num_filters, top_k, method
        self.stage, self.max_images, self.every_n_epochs = stage, max_images, every_n_epochs
        self.runs, self.seconds = 0, 0.0

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit" or not trainer.is_global_zero:
            return
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            start = time.perf_counter()
            self._log(trainer, pl_module.model)
            self.seconds += time.perf_counter() - start
            self.runs += 1

    def _log(self, trainer: pl.Trainer, model) -> None:  # noqa: ANN001 (the task's plain network)
        probe = split_probe_set(*trainer.datamodule.analysis_records(), self.stage).sample(self.max_images)
        layer = resolve_layer(model, self.layer, probe.images.shape[-1])
        report = filter_report(model, probe.images, layer, self.num_filters, self.top_k, self.method)
        patches = [p for f in report.filters for p in report.patches[f]]
        step = trainer.global_step
        log_image(trainer.loggers, f"filters/{layer}_top_patches", _rgb(image_grid(patches, columns=self.top_k)), step)
        if report.projections:
            projections = [report.projections[f] for f in report.filters]
            grid = image_grid(projections, columns=len(projections))
            log_image(trainer.loggers, f"filters/{layer}_{self.method}", _rgb(grid), step)
        log_image(trainer.loggers, "filters/conv1_weights", _rgb(first_filters_image(model)), step)


def _rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[..., None], 3, axis=2)
