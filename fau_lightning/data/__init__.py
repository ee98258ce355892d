"""Dataset readers, preprocessing and LightningDataModules."""

from fau_lightning.data.ck_plus_datamodule import CKPlusDataModule, SyntheticCKPlusDataModule
from fau_lightning.data.fer2013 import FER2013DataModule
from fau_lightning.data.tfd_datamodule import TFDDataModule

__all__ = ["CKPlusDataModule", "FER2013DataModule", "SyntheticCKPlusDataModule", "TFDDataModule"]
