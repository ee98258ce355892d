"""LightningDataModule for the Toronto Face Database: its five official splits, labelled images only."""

import numpy as np

from fau_lightning.datamodules.base import FaceDataModule
from fau_lightning.errors import SettingError
from fau_lightning.readers.records import NO_LABEL, FaceRecords
from fau_lightning.readers.tfd import NUM_SPLITS, TFD_EXPRESSIONS, read_tfd


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
            raise SettingError(f"fold: TFD's fold must be in 0..{NUM_SPLITS - 1}, got {fold}")
        self.save_hyperparameters()

    @property
    def class_names(self) -> list[str]:
        return list(TFD_EXPRESSIONS)

    @property
    def test_split_name(self) -> str:
        return f"TFD's official test split of fold {self.hparams.fold}"

    @property
    def num_splits(self) -> int:
        return NUM_SPLITS

    def read_records(self) -> FaceRecords:
        return read_tfd(self.hparams.path)

    def stages(self, records: FaceRecords) -> np.ndarray:
        return np.where(records.label != NO_LABEL, records.partition[:, self.hparams.fold], "")
