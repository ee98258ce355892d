"""Every data module, through both batch pipelines, trained end to end by the CLI (fit, then test) on tiny data."""

from pathlib import Path

import numpy as np
import pytest

from fau_lightning.cli.train import run_cli
from tests.helpers.ck_plus_files import write_sequence
from tests.helpers.fer2013_files import row, write_csv
from tests.helpers.image_folder_files import write_folder
from tests.helpers.tfd_files import tfd_variables, write_v5
from tests.helpers.tiny import tiny_data_args


def ck_plus(folder: Path, synthetic_root: Path) -> list[str]:
    root = folder / "ck"
    for s in range(10):  # ten subjects: one per fold
        for q, emotion in enumerate((1 + s % 7, 1 + (s + 3) % 7), start=1):
            write_sequence(root, f"S{100 + s:03d}", f"{q:03d}", emotion=emotion, aus={12: 2})
    return ["--data=CKPlusDataModule", f"--data.root={root}", "--data.face_crop=landmarks", "--data.image_size=32"]


def synthetic(folder: Path, synthetic_root: Path) -> list[str]:
    return ["--data=SyntheticCKPlusDataModule", *tiny_data_args(synthetic_root, folder)]


def tfd(folder: Path, synthetic_root: Path) -> list[str]:  # 32x32 in the file
    variables = tfd_variables(n=60, size=32)
    variables["folds"][5:, 0] = np.resize([1, 1, 1, 2, 3], 55)  # fold 0: every split has images
    return ["--data=TFDDataModule", f"--data.path={write_v5(folder / 'TFD_32.mat', variables)}"]


def fer2013(folder: Path, synthetic_root: Path) -> list[str]:
    rows = [
        row(i % 7, usage, seed=i)
        for i, usage in enumerate(["Training"] * 21 + ["PublicTest"] * 7 + ["PrivateTest"] * 7)
    ]
    return ["--data=FER2013DataModule", f"--data.path={write_csv(folder / 'fer.csv', rows)}", "--data.image_size=32"]


def image_folder(folder: Path, synthetic_root: Path) -> list[str]:
    write_folder(folder / "faces", {"calm": 10, "smile": 10})
    return [
        "--data=ImageFolderDataModule",
        f"--data.root={folder / 'faces'}",
        "--data.face_crop=none",
        "--data.image_size=32",
    ]


@pytest.mark.parametrize("pipeline", ["workers", "device"])
@pytest.mark.parametrize("dataset", [ck_plus, synthetic, tfd, fer2013, image_folder])
def test_every_data_module_fits_and_tests(dataset, pipeline: str, tiny_synthetic_root: Path, tmp_path: Path) -> None:
    args = [
        "fit",
        *dataset(tmp_path, tiny_synthetic_root),
        f"--data.pipeline={pipeline}",
        "--data.augment=true",
        "--data.batch_size=8",
        "--model.widths=[4, 8, 8]",
        "--model.hidden_units=8",
        "--trainer.max_epochs=1",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        f"--trainer.default_root_dir={tmp_path}",
        "--test_after_fit=true",
    ]
    cli = run_cli(args)
    datamodule, trainer = cli.datamodule, cli.trainer
    assert trainer.global_step == -(-len(datamodule.datasets["train"]) // 8)  # one epoch went through
    accuracy = float(trainer.callback_metrics["test/acc"])
    assert 0.0 <= accuracy <= 1.0 and len(datamodule.datasets["test"]) > 0
    assert cli.model.model.classifier[-1].out_features == datamodule.num_classes
