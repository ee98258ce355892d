"""The analysis callbacks that run during fit: filter pictures every N epochs and the optional FAU trend."""

import json
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.callbacks import FAUTrend, FilterVisualization
from fau_lightning.cli.train import run_cli
from fau_lightning.datamodules import ImageFolderDataModule
from fau_lightning.tasks import ExpressionClassifier
from tests.helpers.image_folder_files import write_folder
from tests.helpers.tiny import tiny_args


def test_the_analysis_callbacks_do_not_change_training(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    """Same seed, same weights, whether the analysis runs every epoch or not at all."""

    def weights(*extra: str) -> dict:
        cli = run_cli(
            [
                "fit",
                *tiny_args(tiny_synthetic_root, tmp_path, "--test_after_fit=false", "--trainer.logger=false", *extra),
            ]
        )
        return {k: v.clone() for k, v in cli.model.state_dict().items()}

    every_epoch = [
        "--trainer.callbacks+=" + json.dumps({"class_path": f"fau_lightning.callbacks.{name}", "init_args": args})
        for name, args in (
            ("FilterVisualization", {"every_n_epochs": 1}),
            ("FAUTrend", {"every_n_epochs": 1, "settings": {"control_seeds": 2, "shuffles": 50}}),
        )
    ]
    with_analysis = weights(*every_epoch)
    without = weights("--trainer.callbacks=[]")
    assert with_analysis.keys() == without.keys()
    assert all(torch.equal(with_analysis[k], without[k]) for k in without)


def test_data_without_aus_gets_filter_pictures_and_no_trend(tmp_path: Path) -> None:
    write_folder(tmp_path / "faces", {"a": 12, "b": 12})
    data = ImageFolderDataModule(
        str(tmp_path / "faces"), face_crop="none", image_size=16, batch_size=8, val_fraction=0.25, test_fraction=0
    )
    model = ExpressionClassifier(num_classes=2, widths=(4, 4, 4), hidden_units=8)
    trend = FAUTrend(every_n_epochs=1)
    filters = FilterVisualization(every_n_epochs=1, num_filters=2, top_k=2)
    trainer = pl.Trainer(
        max_epochs=2, callbacks=[trend, filters], logger=False, enable_progress_bar=False, enable_checkpointing=False
    )
    trainer.fit(model, datamodule=data)
    assert filters.runs == 2 and trend.runs == 0


@pytest.mark.parametrize("every", [0, -1])
def test_every_n_epochs_must_be_positive(every: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FilterVisualization(every_n_epochs=every)
    with pytest.raises(ValueError, match="at least 1"):
        FAUTrend(every_n_epochs=every)


def test_the_trend_prepares_what_depends_only_on_the_data_once_per_fit(
    tiny_synthetic_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The untrained controls and region maps are made at the first judgement and reused by the rest."""
    from fau_lightning.callbacks import fau_trend

    calls = []
    real = fau_trend.prepare_evidence
    monkeypatch.setattr(fau_trend, "prepare_evidence", lambda *a, **k: calls.append(1) or real(*a, **k))
    every_epoch = json.dumps(
        {
            "class_path": "fau_lightning.callbacks.FAUTrend",
            "init_args": {"every_n_epochs": 1, "settings": {"control_seeds": 2, "shuffles": 50}},
        }
    )
    cli = run_cli(
        [
            "fit",
            *tiny_args(tiny_synthetic_root, tmp_path, "--test_after_fit=false", "--trainer.logger=false"),
            "--trainer.max_epochs=3",
            "--trainer.callbacks=[]",
            f"--trainer.callbacks+={every_epoch}",
        ]
    )
    (trend,) = [c for c in cli.trainer.callbacks if isinstance(c, FAUTrend)]
    assert trend.settings == AnalysisSettings(control_seeds=2, shuffles=50)
    assert cli.trainer.current_epoch == 3 and trend.runs == 3 and len(calls) == 1
