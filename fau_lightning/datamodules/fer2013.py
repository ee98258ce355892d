"""LightningDataModule for FER2013 with its own usage split."""

from fau_lightning.datamodules.base import FaceDataModule, resize_faces
from fau_lightning.datasets.fer2013 import FER_EMOTIONS, USAGES, FERSet, read_fer2013


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
                raise ValueError(f"usage must be one of {USAGES}, got {usage!r}")
        self.save_hyperparameters()
        self.fer: FERSet | None = None

    @property
    def class_names(self) -> list[str]:
        return list(FER_EMOTIONS)

    def setup(self, stage: str | None = None) -> None:
        if self.fer is None:
            self.fer = read_fer2013(self.hparams.path)
        images = resize_faces(self.fer.images, self.hparams.image_size)
        usage_of = {"train": "Training", "val": self.hparams.val_usage, "test": self.hparams.test_usage}
        self.set_splits(
            {name: (images[self.fer.usage == u], self.fer.emotion[self.fer.usage == u]) for name, u in usage_of.items()}
        )
