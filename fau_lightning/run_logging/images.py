"""Send an image to whichever loggers the trainer has."""

from pathlib import Path

import cv2
import numpy as np
from pytorch_lightning.loggers import Logger, TensorBoardLogger, WandbLogger

from fau_lightning.files import write_image


def log_image(loggers: list[Logger], key: str, image: np.ndarray, step: int) -> None:
    """W&B and TensorBoard get the image itself; other loggers get a PNG in their log folder."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[image], step=step)
        elif isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(key, image, step, dataformats="HWC")
        elif logger.log_dir is not None:
            path = Path(logger.log_dir) / "images" / f"{key.replace('/', '_')}_step{step}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_image(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
