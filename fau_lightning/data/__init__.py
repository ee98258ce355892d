"""Dataset readers, preprocessing and LightningDataModules."""

from fau_lightning.data.ck_plus_datamodule import CKPlusDataModule, SyntheticCKPlusDataModule
from fau_lightning.data.fer2013 import FER2013DataModule
from fau_lightning.data.image_folder import ImageFolderDataModule
from fau_lightning.data.tfd_datamodule import TFDDataModule

__all__ = ["CKPlusDataModule", "FER2013DataModule", "ImageFolderDataModule", "SyntheticCKPlusDataModule", "TFDDataModule"]
