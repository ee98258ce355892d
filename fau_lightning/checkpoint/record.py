"""What a checkpoint records for prediction: class names, input size, face crop, normalisation,
training data, seed, package version and, once tested, its test metrics.

Written at training time under `fau_model`, so prediction and export need no config. Checkpoints
from before the record carry their class names only; what else they lack is given by flags.
"""

import os
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version

import torch

from fau_lightning.checkpoint.allowed_tasks import TASK_KEY
from fau_lightning.checkpoint.reading import read_checkpoint
from fau_lightning.errors import CheckpointError
from fau_lightning.files import write_atomically

MODEL_RECORD_KEY = "fau_model"

SYNTHETIC_WARNING = (
    "this model was trained on fau_lightning's built-in synthetic faces (drawn, not photographed); "
    "its predictions on real photographs say little about real expressions"
)


def package_version() -> str:
    try:
        return version("fau_lightning")
    except PackageNotFoundError:
        from fau_lightning import __version__

        return __version__


def normalisation(divide_by_std: bool) -> str:
    """How pixels reach the network, in words (the local contrast step is inside the network itself)."""
    inside = "scales them to [0, 2] and subtracts each pixel's 5x5 local mean" + (
        " and divides by the local standard deviation" if divide_by_std else ""
    )
    return f"grayscale, uint8 / 255 (values in [0, 1]); the network itself {inside}"


@dataclass(frozen=True)
class ModelRecord:
    """What prediction needs to know about a trained network.

    Attributes:
        class_names: a name per output, in output order.
        multi_label: outputs are independent sigmoids (AUs) rather than one softmax over classes.
        input_size: side of the square grayscale face the network takes.
        face_crop: how training faces were cropped (`CropSettings` fields; method "none": given as faces).
        normalisation: how pixels are scaled before the network, in words.
        training_data: dataset class, root, whether its faces are synthetic, fold, test split.
        seed: the run's global seed (None: not known).
        package_version: the fau_lightning version that trained it.
        test: {"split": ..., "metrics": {...}} once the run tested its best checkpoint.
        precision: the Trainer's precision in training and testing (e.g. "32-true", "bf16-mixed").
    """

    class_names: list[str]
    multi_label: bool
    input_size: int
    face_crop: dict = field(default_factory=lambda: {"method": "unknown"})
    normalisation: str = normalisation(False)
    training_data: dict = field(default_factory=dict)
    seed: int | None = None
    package_version: str = "unknown"
    test: dict | None = None
    precision: str | None = None

    @property
    def synthetic(self) -> bool:
        return bool(self.training_data.get("synthetic"))

    def as_dict(self) -> dict:
        return asdict(self)


def build_record(
    class_names: list[str],
    multi_label: bool,
    norm_divide_by_std: bool,
    data_record: dict,
    precision: str | None = None,
    seed: int | None = None,
) -> dict:
    """The record of a network trained on a data module's data (`FaceDataModule.data_record()`).

    Args:
        class_names: a name per output.
        multi_label: outputs are independent sigmoids.
        norm_divide_by_std: the network's local contrast step also divides by the local standard deviation.
        data_record: what the data module says of its data (image size, face crop, dataset, fold, ...).
        precision: the Trainer's precision.
        seed: the run's global seed, if one was set.
    """
    crop = {k: list(v) if isinstance(v, tuple) else v for k, v in data_record["face_crop"].items()}
    return ModelRecord(
        class_names=list(class_names),
        multi_label=multi_label,
        input_size=int(data_record["image_size"]),
        face_crop=crop,
        normalisation=normalisation(norm_divide_by_std),
        training_data={k: v for k, v in data_record.items() if k not in ("face_crop", "image_size")},
        seed=seed,
        package_version=package_version(),
        precision=precision,
    ).as_dict()


def read_record(
    checkpoint: dict, path: str | os.PathLike, image_size: int | None = None, class_names: list[str] | None = None
) -> ModelRecord:
    """The checkpoint's record; for a checkpoint written before records, what the flags give.

    Args:
        checkpoint: the loaded checkpoint (`read_checkpoint`).
        path: its file, for messages.
        image_size: `--image_size`, needed only where the checkpoint does not record its input size.
        class_names: `--class_names`, needed only where it does not record them.

    Raises:
        CheckpointError: something prediction needs is neither recorded nor given, naming it and its flag.
    """
    recorded = checkpoint.get(MODEL_RECORD_KEY)
    if recorded is not None:
        return ModelRecord(**recorded)
    hparams = checkpoint.get("hyper_parameters", {})
    names = class_names or hparams.get("class_names")
    needs = {"input size": ("--image_size", image_size), "class names": ("--class_names", names)}
    missing = [(what, flag) for what, (flag, value) in needs.items() if not value]
    if missing:
        raise CheckpointError(
            f"{path}: written before checkpoints recorded how their images are prepared, it lacks the "
            f"{' and the '.join(what for what, _ in missing)}; give {' and '.join(flag for _, flag in missing)}"
        )
    num_classes = hparams.get("num_classes", len(names))
    if len(names) != num_classes:
        raise CheckpointError(f"{path}: --class_names gives {len(names)} names for the network's {num_classes} outputs")
    multi_label = checkpoint.get(TASK_KEY, "").endswith("AUDetector")
    return ModelRecord(class_names=list(names), multi_label=multi_label, input_size=int(image_size))


def record_test_result(path: str | os.PathLike, split: str, metrics: dict[str, float]) -> None:
    """Add the test split and metrics to a checkpoint's record, rewriting the file atomically."""
    checkpoint = read_checkpoint(path)
    if MODEL_RECORD_KEY not in checkpoint:
        return
    checkpoint[MODEL_RECORD_KEY]["test"] = {"split": split, "metrics": dict(metrics)}
    write_atomically(path, lambda f: torch.save(checkpoint, f))
