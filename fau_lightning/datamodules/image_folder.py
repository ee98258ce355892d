"""Your own images, one folder per class: `root/<class>/*.png|jpg`, with CK+'s face cropping and cache.

If `root` holds `train/`, `val/` and `test/`, each with the same class folders, those are the splits.
Otherwise each class is split at random (seeded, stratified) into `val_fraction` and `test_fraction`
and the rest for training. Note that a random split can put images of one person on both sides;
give the three folders yourself to keep people apart.
"""

from pathlib import Path

import numpy as np

from fau_lightning.datamodules.base import FaceDataModule
from fau_lightning.errors import SettingError
from fau_lightning.readers.cache import load_or_build
from fau_lightning.readers.face_crop import CropMethod, CropSettings
from fau_lightning.readers.image_folder import list_image_folder, stratified_split
from fau_lightning.readers.records import FaceRecords


class ImageFolderDataModule(FaceDataModule):
    """Folder-per-class images, face-cropped (Haar, as the paper, or none) and cached like CK+.

    Args:
        root: the folder holding one folder per class (or train/, val/ and test/, each holding them).
        face_crop: "haar" (the paper's detector) or "none" (images are already faces).
        image_size: side of the square face crop fed to the network.
        haar_min_size: smallest face the detector accepts, as a share of the image's short side.
            The paper's 0.5 suits CK+-like framing; lower it for photographs with smaller faces.
        val_fraction: share of each class drawn for validation when the folder gives no splits.
        test_fraction: share of each class drawn for testing when the folder gives no splits.
        split_seed: seed of that draw.
        cache_dir: where preprocessed faces are cached; defaults to <root>/.fau_cache.
        **kwargs: batch_size, num_workers, augment, pipeline (FaceDataModule).
    """

    def __init__(
        self,
        root: str = "data/my_faces",
        face_crop: CropMethod = "haar",
        image_size: int = 96,
        haar_min_size: float = 0.5,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        split_seed: int = 0,
        cache_dir: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if face_crop == "landmarks":
            raise SettingError(
                "face_crop: 'landmarks' needs landmark files; folder datasets have none (use haar or none)"
            )
        self.save_hyperparameters()
        self.crop = CropSettings(method=face_crop, size=image_size, haar_min_size=haar_min_size)
        self.classes, self.files = list_image_folder(root)  # labels index `classes` (folder names, sorted)
        self.class_order = list(self.classes)  # the network's output order; a checkpoint's may differ

    @property
    def class_names(self) -> list[str]:
        return self.class_order

    def match_classes(self, names: list[str], checkpoint: str) -> None:
        """Put the folder's classes in the checkpoint's order, matched by name.

        Raises:
            SettingError: the names differ, listing both.
        """
        if sorted(names) != sorted(self.classes):
            raise SettingError(
                f"{self.hparams.root}: its class folders {self.classes} do not match the classes of "
                f"{checkpoint}: {list(names)}"
            )
        self.class_order = list(names)

    def targets(self, records: FaceRecords) -> np.ndarray:
        output_of_folder = np.array([self.class_order.index(name) for name in self.classes])
        return output_of_folder[records.label]

    @property
    def test_split_name(self) -> str:
        if self.files.images and self.files.images[0].partition:
            return "the test/ folder"
        return "a random draw of images (people may be on both sides)"

    def read_records(self) -> FaceRecords:
        cache_dir = self.hparams.cache_dir or Path(self.hparams.root) / ".fau_cache"
        return load_or_build(self.files, self.crop, cache_dir, extra={"dataset": "image_folder"})[0]

    def stages(self, records: FaceRecords) -> np.ndarray:
        if records.partition.shape[1]:  # the folder's own train/, val/ and test/
            return records.partition[:, 0]
        # Drawn over every listed image, so one unreadable file does not reshuffle the rest.
        labels = np.array([image.label for image in self.files.images])
        drawn = stratified_split(labels, self.hparams.val_fraction, self.hparams.test_fraction, self.hparams.split_seed)
        root = self.files.root
        stage_of = {str(im.path.relative_to(root)): s for im, s in zip(self.files.images, drawn, strict=True)}
        return np.array([stage_of[source] for source in records.source])
