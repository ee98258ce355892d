"""What every dataset's LightningDataModule shares: in-memory face tensors and their loaders."""

from collections.abc import Iterator
from dataclasses import asdict, replace
from typing import Literal

import cv2
import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities import rank_zero_warn
from torch.utils.data import DataLoader, Dataset, Sampler

from fau_lightning.datamodules.device_batches import DeviceBatches
from fau_lightning.datamodules.resume import EpochPosition, batches_to_skip, position_in_epoch
from fau_lightning.errors import SettingError
from fau_lightning.pixels import to_unit_float
from fau_lightning.readers.records import FaceRecords
from fau_lightning.synthetic.dataset import FurtherPeople
from fau_lightning.transforms.augment import AugmentRanges, apply_params, sample_params

Stage = Literal["train", "val", "test"]
STAGES: tuple[Stage, ...] = ("train", "val", "test")
PredictSplit = Literal["train", "val", "test", "all"]
Pipeline = Literal["workers", "device"]


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
        targets = np.asarray(targets)
        self.targets = torch.from_numpy(
            targets if targets.dtype.kind == "f" else targets.astype(np.int64)
        )  # multi-label AUs stay float

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return to_unit_float(self.images[index].unsqueeze(0)), self.targets[index]


class NumberedFaces(FaceImages):
    """Faces with their row number in the split, so predictions can be traced to their files."""

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        return *super().__getitem__(index), index


class AugmentedFaces(FaceImages):
    """Training faces through the paper's augmentation; labels pass through untouched.

    Indexed by `(seed, index)` pairs from `EpochOrder`: image `index` is augmented with draws from a
    generator seeded by both, so what an image looks like depends only on the run's seed, the epoch
    and the image, never on which process or worker makes it, or whether the run was resumed.
    """

    def __init__(self, images: np.ndarray, targets: np.ndarray, ranges: AugmentRanges = AugmentRanges()) -> None:
        super().__init__(images, targets)
        self.ranges = ranges

    def __getitem__(self, item: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        seed, index = item
        rng = np.random.default_rng([seed, index])
        image = apply_params(self.images[index].numpy(), sample_params(rng, self.ranges))
        return torch.from_numpy(image).unsqueeze(0), self.targets[index]


class EpochOrder(Sampler):
    """Each epoch: every index once, in a random order; for augmented training, each paired with one
    augmentation seed for the epoch (`AugmentedFaces` takes `(seed, index)` pairs).

    Drawn from torch's global generator, which `seed_everything` fixes and `RandomStateCheckpoint`
    restores, so a run resumed at an epoch's end draws what an unbroken one would. The epoch's draw is
    kept (`drawn`) for a checkpoint written mid-epoch, whose resume serves the rest of it (`resume_from`).
    """

    def __init__(self, size: int, seeded: bool) -> None:
        self.size = size
        self.seeded = seeded
        self.drawn: dict | None = None  # this epoch's {"seed": int, "order": (size,) tensor}
        self._rest: tuple[dict, int] | None = None  # a saved draw and how many of its items were served

    def __len__(self) -> int:
        return self.size

    def _draw(self) -> dict:
        if self.seeded:
            seed = int(torch.randint(0, 2**62, ()).item())
            return {"seed": seed, "order": torch.randperm(self.size)}
        # as torch's RandomSampler draws, so unaugmented runs keep the orders they had with shuffle=True
        seed = int(torch.empty((), dtype=torch.int64).random_().item())
        return {"seed": seed, "order": torch.randperm(self.size, generator=torch.Generator().manual_seed(seed))}

    def resume_from(self, drawn: dict, items_served: int) -> None:
        """Serve the rest of a saved epoch (its draw, less the first `items_served`) on the next iteration."""
        self._rest = drawn, items_served

    def __iter__(self) -> Iterator[int] | Iterator[tuple[int, int]]:
        (self.drawn, start), self._rest = self._rest or (self._draw(), 0), None
        items = self.drawn["order"][start:].tolist()
        seed = self.drawn["seed"]
        return iter([(seed, index) for index in items] if self.seeded else items)


class FaceDataModule(pl.LightningDataModule):
    """What every data module shares: reading once, resizing, splitting and the loaders.

    A dataset's module says how its records are read (`read_records`), which stage each record
    belongs to (`stages`), what its classes are (`class_names`) and, if not its labels, what the
    network is trained to predict (`targets`).

    Args:
        batch_size: images per batch (per device).
        num_workers: data-loader processes for pipeline="workers" (0: load in the main process).
        augment: put the training split through the paper's augmentation; validation and test never are.
        pipeline: where batches are made: "workers" (a DataLoader, per-image albumentations in
            `num_workers` processes; right for large folder datasets) or "device" (the whole split on
            the trainer's device, batches indexed and augmented there; right for CK+ and TFD on an
            accelerator). Both draw augmentations from the same distributions.
        predict_split: the images `fau-train predict` classifies: "test" (default), "train", "val" or
            "all" (every image read, whether or not a split holds it).
    """

    def __init__(
        self,
        batch_size: int = 64,
        num_workers: int = 0,
        augment: bool = False,
        pipeline: Pipeline = "workers",
        predict_split: PredictSplit = "test",
    ) -> None:
        super().__init__()
        if predict_split not in (*STAGES, "all"):
            raise SettingError(f"predict_split: must be train, val, test or all, got {predict_split!r}")
        if pipeline not in ("workers", "device"):
            raise SettingError(f"pipeline: must be 'workers' or 'device', got {pipeline!r}")
        if pipeline == "device" and num_workers:
            raise SettingError(
                "pipeline, num_workers: pipeline='device' makes batches on the device itself; set num_workers=0"
            )
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.augment = augment
        self.pipeline = pipeline
        self.predict_split = predict_split
        self.datasets: dict[Stage, FaceImages] = {}
        self.predict_dataset: NumberedFaces | None = None  # the predict_split's images
        self.predict_sources = np.zeros(0, dtype=str)  # the file of each image predict_dataloader serves
        self.records: FaceRecords | None = None
        self._analysis_view: tuple[FaceRecords, np.ndarray] | None = None  # `analysis_records`, once made
        self._train_order: EpochOrder | None = None  # the workers pipeline's training sampler
        self._saved_state: dict = {}  # from a resumed checkpoint, for the next training loader

    def read_records(self) -> FaceRecords:
        """Every record of the dataset, read (or loaded from the cache)."""
        raise NotImplementedError

    def load_records(self) -> FaceRecords:
        """The records, read on first use and kept."""
        if self.records is None:
            self.records = self.read_records()
        return self.records

    def stages(self, records: FaceRecords) -> np.ndarray:
        """(N,) "train", "val" or "test" for each record; anything else leaves it out."""
        raise NotImplementedError

    def targets(self, records: FaceRecords) -> np.ndarray:
        """(N,) what the network learns to predict for each record: by default its label."""
        return records.label

    @property
    def image_size(self) -> int | None:
        """Side the images are resized to (None: as read)."""
        return self.hparams.get("image_size")

    def setup(self, stage: str | None = None) -> None:
        records = self.load_records()
        images, targets = resize_faces(records.images, self.image_size), self.targets(records)
        stage_of = self.stages(records)
        splits = {s: (images[stage_of == s], targets[stage_of == s]) for s in STAGES}
        self.datasets = {s: FaceImages(*arrays) for s, arrays in splits.items()}
        if self.augment:
            self.datasets["train"] = AugmentedFaces(*splits["train"])
        chosen = np.ones(len(records), bool) if self.predict_split == "all" else stage_of == self.predict_split
        self.predict_dataset = NumberedFaces(images[chosen], targets[chosen])
        self.predict_sources = records.source[chosen]

    @property
    def class_names(self) -> list[str]:
        raise NotImplementedError

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def test_split_name(self) -> str:
        """What the test split is, as results should say it ("held-out subjects" only where splits are by subject)."""
        return "test split"

    def match_classes(self, names: list[str], checkpoint: str) -> None:
        """Make sure a checkpoint's classes are the data's, in the same order.

        Raises:
            SettingError: they differ, listing both.
        """
        if list(names) != list(self.class_names):
            raise SettingError(
                f"{checkpoint}: the checkpoint's classes {list(names)} are not the data's {list(self.class_names)}"
            )

    @property
    def synthetic_faces(self) -> bool:
        """Whether the faces are drawn by the built-in generator rather than photographed."""
        return False

    def data_record(self) -> dict:
        """What a checkpoint keeps about its training data: enough to prepare new images the same way
        (the face crop and image side) and to say what the model was trained on.
        """
        crop = getattr(self, "crop", None)
        size = self.image_size or (int(self.records.images.shape[1]) if self.records is not None else None)
        return {
            "dataset": type(self).__name__,
            "root": str(self.hparams.get("root", "")),
            "synthetic": self.synthetic_faces,
            "image_size": size,
            "face_crop": asdict(crop) if crop is not None else {"method": "none"},
            "fold": self.hparams.get("fold"),
            "test_split": self.test_split_name,
        }

    @property
    def num_splits(self) -> int:
        """How many train/val/test splits the protocol has (`--data.fold` 0..num_splits-1)."""
        return 1

    def analysis_splits(self, records: FaceRecords) -> np.ndarray:
        """(N,) the split of each record as the analysis counts it (by default as training does)."""
        return self.stages(records)

    def analysis_records(self) -> tuple[FaceRecords, np.ndarray]:
        """Every record at the network's input size and the split of each ("" none): what the analysis
        reads (`analysis/evidence.py`).
        """
        if self._analysis_view is None:  # resized once: callbacks ask again every few epochs
            records = self.load_records()
            resized = replace(records, images=resize_faces(records.images, self.image_size))
            self._analysis_view = resized, self.analysis_splits(records)
        return self._analysis_view

    def further_people(self) -> FurtherPeople | None:
        """People beyond the protocol's subjects whom no split trains on, as analysis evidence (None: none)."""
        return None

    def _loader(self, stage: Stage, shuffle: bool) -> DataLoader | DeviceBatches:
        if self.pipeline == "device":
            return self._device_batches(stage, shuffle)
        data = self.datasets[stage]
        order = EpochOrder(len(data), seeded=isinstance(data, AugmentedFaces)) if shuffle else None
        if stage == "train":
            self._train_order = order
        return DataLoader(
            data,
            batch_size=self.batch_size,
            sampler=order,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def _device_batches(self, stage: Stage, shuffle: bool) -> DeviceBatches:
        trainer = self.trainer
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        rank, world = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
        data = self.datasets[stage]
        augment = AugmentRanges() if self.augment and stage == "train" else None
        return DeviceBatches(
            data.images,
            data.targets,
            self.batch_size,
            device,
            shuffle,
            augment,
            torch.initial_seed() % 2**31,
            rank,
            world,
        )

    def train_dataloader(self) -> DataLoader | DeviceBatches:
        """The training batches; after a resume from a mid-epoch checkpoint, the rest of that epoch's."""
        loader = self._loader("train", shuffle=True)
        saved, self._saved_state = self._saved_state, {}
        position = EpochPosition(**saved["position"]) if "position" in saved else None
        skip = batches_to_skip(position, self.batch_size)
        world = self.trainer.world_size if self.trainer is not None else 1
        if skip and isinstance(loader, DeviceBatches):
            loader.skip_next(skip)
        elif skip and world == 1 and "order" in saved:
            self._train_order.resume_from(saved["order"], skip * self.batch_size)
        elif skip:
            rank_zero_warn(
                "resuming mid-epoch in several processes with pipeline='workers': the rest of the epoch is"
                " drawn anew (pipeline='device' resumes exactly)"
            )
        return loader

    def state_dict(self) -> dict:
        """What a checkpoint keeps of the data: during fit, the position in the epoch and the epoch's order."""
        position = position_in_epoch(self.trainer, self.batch_size)
        if position is None:
            return {}
        state = {"position": asdict(position)}
        if self._train_order is not None and self._train_order.drawn is not None:
            state["order"] = self._train_order.drawn
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        self._saved_state = dict(state_dict)

    def val_dataloader(self) -> DataLoader | DeviceBatches:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader | DeviceBatches:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        """The `predict_split` images, each with its row number (`predict_sources` names its file)."""
        return DataLoader(self.predict_dataset, batch_size=self.batch_size, num_workers=self.num_workers)
