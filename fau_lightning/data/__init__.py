"""Dataset readers, preprocessing and LightningDataModules."""

from fau_lightning.data.ck_plus_datamodule import CKPlusDataModule, SyntheticCKPlusDataModule

__all__ = ["CKPlusDataModule", "SyntheticCKPlusDataModule"]
