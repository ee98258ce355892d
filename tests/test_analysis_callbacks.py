"""The analysis callbacks log into a real W&B offline run; data without AUs is skipped with one warning."""

import json
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import wandb
from test_cli import tiny_args
from test_image_folder import write_folder
from wandb_run_reader import read_offline_run

from fau_lightning.callbacks import FAUAlignmentLogger, FilterVisualization
from fau_lightning.cli import run_cli
from fau_lightning.data import ImageFolderDataModule
from fau_lightning.tasks import ExpressionClassifier


def test_callbacks_log_images_scalars_and_table_to_wandb(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    filters = {"class_path": "fau_lightning.callbacks.FilterVisualization", "init_args": {"every_n_epochs": 1, "num_filters": 4, "top_k": 4}}
    fau = {"class_path": "fau_lightning.callbacks.FAUAlignmentLogger", "init_args": {"every_n_epochs": 1, "min_support": 5, "shuffles": 5}}
    extra = [f"--trainer.callbacks+={json.dumps(filters)}", f"--trainer.callbacks+={json.dumps(fau)}", "--test_after_fit=false"]
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, tmp_path, *extra)])
    run_dir = Path(cli.trainer.logger.experiment.dir).parent
    wandb.finish()
    callbacks = {type(c).__name__: c for c in cli.trainer.callbacks}
    assert callbacks["FilterVisualization"].runs == 2 and callbacks["FAUAlignmentLogger"].runs == 2  # epochs 0, 1; fit end = epoch 1
    run = read_offline_run(run_dir)
    for key in ("filters/relu3_top_patches", "filters/relu3_deconvnet", "filters/conv1_weights", "fau/relu3_auroc"):
        files = run.metric(f"{key}/filenames")
        assert len(files) == 2, key
        assert (run_dir / "files" / files[-1][0]).stat().st_size > 200
    assert len(run.metric("fau/mean_best_auroc")) == 2 and run.metric("fau/supported_aus")[-1] >= 3
    assert 0.0 <= run.metric("fau/aligned_aus")[-1] <= run.metric("fau/supported_aus")[-1]
    tables = run.metric("fau/relu3_best_filters/path")
    assert tables and json.loads((run_dir / "files" / tables[-1]).read_text())["columns"][0] == "AU"


def test_data_without_aus_is_skipped_with_one_warning(tmp_path: Path) -> None:
    write_folder(tmp_path / "faces", {"a": 12, "b": 12})
    data = ImageFolderDataModule(str(tmp_path / "faces"), face_crop="none", image_size=16, batch_size=8, val_fraction=0.25, test_fraction=0)
    model = ExpressionClassifier(num_classes=2, widths=(4, 4, 4), hidden_units=8)
    fau = FAUAlignmentLogger(every_n_epochs=1, stage="val")
    filters = FilterVisualization(every_n_epochs=1, num_filters=2, top_k=2)
    trainer = pl.Trainer(max_epochs=2, callbacks=[fau, filters], logger=False, enable_progress_bar=False, enable_checkpointing=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(model, datamodule=data)
    skipped = [w for w in caught if "FAU alignment skipped" in str(w.message)]
    assert len(skipped) == 1 and "ImageFolderDataModule" in str(skipped[0].message)
    assert filters.runs == 2  # filter pictures still made


def test_every_n_epochs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FilterVisualization(every_n_epochs=0)
