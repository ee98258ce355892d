"""LightningDataModule for FER2013 with its own usage split."""

import numpy as np

from fau_lightning.datamodules.base import FaceDataModule
from fau_lightning.errors import SettingError
from fau_lightning.readers.fer2013 import FER_EMOTIONS, USAGES, read_fer2013
from fau_lightning.readers.records import FaceRecords


class FER2013DataModule(FaceDataModule):
    """FER2013 with its own usage split: train = Training, val = PublicTest, test = PrivateTest.

    Args:
        path: the `fer2013.csv` file.
        val_usage: the usage rows that form the validation split.
        test_usage: the usage rows that form the test split.
        image_size: resize the 48x48 faces to this size; None keeps 48.
        **kwargs: batch_size, num_workers, augment, pipeline (FaceDataModule).
    """

    def __init__(
        self,
        path: str = "data/fer2013/fer2013.csv",
        val_usage: str = "PublicTest",
        test_usage: str = "PrivateTest",
        image_size: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        for usage in (val_usage, test_usage):
            if usage not in USAGES:
                raise SettingError(f"val_usage, test_usage: must be one of {USAGES}, got {usage!r}")
        self.save_hyperparameters()

    @property
    def class_names(self) -> list[str]:
        return list(FER_EMOTIONS)

    @property
    def test_split_name(self) -> str:
        return f"FER2013's {self.hparams.test_usage} rows"

    def read_records(self) -> FaceRecords:
        return read_fer2013(self.hparams.path)

    def stages(self, records: FaceRecords) -> np.ndarray:
        stage_of = {"Training": "train", self.hparams.val_usage: "val", self.hparams.test_usage: "test"}
        return np.array([stage_of.get(usage, "") for usage in records.partition[:, 0]])
