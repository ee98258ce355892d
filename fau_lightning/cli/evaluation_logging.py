"""An evaluation sent to a run's loggers: the verdict's scalars, the report's figures and, for W&B, the
verdict's line (as the terminal prints it) and the per-AU table with each best unit's top patches. The
same numbers and figures as the report folder.
"""

import numpy as np
from pytorch_lightning.loggers import Logger, WandbLogger

from fau_lightning.analysis.pipeline import verdict_line, verdict_scalars
from fau_lightning.cli.evaluation import Evaluation
from fau_lightning.run_logging.images import log_image
from fau_lightning.viz.alignment_table import COLUMNS, table_rows
from fau_lightning.viz.figures import image_grid
from fau_lightning.viz.network_report import best_unit_patches

# report figure key -> the run's key for it; a training run logs its own curves and test confusion matrix
RUN_FIGURES = {"curves": "report/curves", "confusion": "test/confusion_matrix"}
LOGGED_FIGURES = {
    "patches": "filters/{layer}_top_patches",
    "projections": "filters/{layer}_{method}",
    "conv1": "filters/conv1_weights",
    "fau": "fau/{layer}_auroc",
    "au_patches": "fau/{layer}_best_unit_patches",
}


def _rgb(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)


def log_evaluation(loggers: list[Logger], evaluation: Evaluation, step: int, training_run: bool = True) -> None:
    """Log what the report shows into `loggers` at `step`; a run that is not the training run also gets
    the test metrics, the training curves and the test confusion matrix.
    """
    analysis = evaluation.analysis
    layer, method = analysis.settings.layer, analysis.settings.method
    scalars = verdict_scalars(analysis.fau) if analysis.fau is not None else {}
    figures = dict(LOGGED_FIGURES) if training_run else {**RUN_FIGURES, **LOGGED_FIGURES}
    if not training_run:
        scalars |= evaluation.test["metrics"]
    for logger in loggers:
        logger.log_metrics(scalars, step=step)
    for key, name in figures.items():
        if key in evaluation.figures:
            log_image(loggers, name.format(layer=layer, method=method), _rgb(evaluation.figures[key]), step)
    wandb_loggers = [logger for logger in loggers if isinstance(logger, WandbLogger)]
    if not wandb_loggers or analysis.fau is None or not analysis.fau.verdicts:
        return
    import wandb

    patches = best_unit_patches(evaluation.model, analysis)
    rows = [
        [*row, wandb.Image(np.asarray(image_grid(unit_patches, columns=len(unit_patches))))]
        for unit_patches, row in zip(patches, table_rows(analysis.fau), strict=True)
    ]
    for logger in wandb_loggers:
        logger.log_table(key=f"fau/{layer}_verdicts", columns=[*COLUMNS, "top held-out patches"], data=rows, step=step)
        logger.experiment.summary["fau/verdict"] = verdict_line(analysis.fau)  # the terminal's line, on the run's page
