"""What every dataset's LightningDataModule shares: in-memory face tensors and their loaders."""

from typing import Literal

import cv2
import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

Stage = Literal["train", "val", "test"]


def resize_faces(images: np.ndarray, size: int | None) -> np.ndarray:
    """Resize a (N, S, S) uint8 stack to size x size; None or the same size leaves it as it is."""
    if not size or size == images.shape[1]:
        return images
    interpolation = cv2.INTER_AREA if size < images.shape[1] else cv2.INTER_LINEAR
    return np.stack([cv2.resize(im, (size, size), interpolation=interpolation) for im in images])


class FaceImages(Dataset):
    """uint8 faces served as float tensors in [0, 1], shape (1, S, S), with class indices."""

    def __init__(self, images: np.ndarray, targets: np.ndarray) -> None:
        self.images = torch.from_numpy(np.ascontiguousarray(images))
        self.targets = torch.from_numpy(np.asarray(targets, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index].unsqueeze(0).float().div_(255), self.targets[index]


class FaceDataModule(pl.LightningDataModule):
    """Subclasses fill `self.datasets` in setup() and name their classes."""

    def __init__(self, batch_size: int = 64, num_workers: int = 0) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.datasets: dict[Stage, FaceImages] = {}

    @property
    def class_names(self) -> list[str]:
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def _loader(self, stage: Stage, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.datasets[stage],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
