"""LightningDataModule for the Toronto Face Database: its five official splits, labelled images only."""

from fau_lightning.datamodules.base import FaceDataModule, resize_faces
from fau_lightning.datasets.tfd import NUM_SPLITS, TFD_EXPRESSIONS, TFDSet, read_tfd

SPLIT_CODES = {"train": 1, "val": 2, "test": 3}


class TFDDataModule(FaceDataModule):
    """TFD from `TFD_48x48.mat` or `TFD_96x96.mat`; images are already aligned, so no face detection.

    Args:
        path: the .mat file.
        fold: which of the five official splits (0..4).
        image_size: resize to this size; None keeps the file's size.
        **kwargs: batch_size, num_workers, augment, pipeline (FaceDataModule).
    """

    def __init__(
        self,
        path: str = "data/tfd/TFD_96x96.mat",
        fold: int = 0,
        image_size: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not 0 <= fold < NUM_SPLITS:
            raise ValueError(f"TFD fold must be in 0..{NUM_SPLITS - 1}, got {fold}")
        self.save_hyperparameters()
        self.tfd: TFDSet | None = None

    @property
    def class_names(self) -> list[str]:
        return list(TFD_EXPRESSIONS)

    @property
    def num_splits(self) -> int:
        return NUM_SPLITS

    def setup(self, stage: str | None = None) -> None:
        if self.tfd is None:
            self.tfd = read_tfd(self.hparams.path)
        tfd = self.tfd
        images = resize_faces(tfd.images, self.hparams.image_size)
        labelled = tfd.expression >= 0
        split = tfd.folds[:, self.hparams.fold]
        masks = {name: labelled & (split == code) for name, code in SPLIT_CODES.items()}
        self.set_splits({name: (images[mask], tfd.expression[mask]) for name, mask in masks.items()})
