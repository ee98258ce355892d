"""LightningDataModules: one base owning splits and loaders, one small file per dataset."""

from fau_lightning.datamodules.base import FaceDataModule
from fau_lightning.datamodules.ck_plus import (
    CKPlusDataModule,
    SyntheticCKPlusDataModule,
)
from fau_lightning.datamodules.fer2013 import FER2013DataModule
from fau_lightning.datamodules.image_folder import ImageFolderDataModule
from fau_lightning.datamodules.tfd import TFDDataModule

__all__ = [
    "CKPlusDataModule",
    "FaceDataModule",
    "FER2013DataModule",
    "ImageFolderDataModule",
    "SyntheticCKPlusDataModule",
    "TFDDataModule",
]
