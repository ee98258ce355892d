"""The analysis callbacks log into a real W&B offline run; data without AUs is skipped with one warning."""

import json
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
import wandb

from fau_lightning.callbacks import FAUAlignmentLogger, FilterVisualization
from fau_lightning.cli.train import run_cli
from fau_lightning.datamodules import ImageFolderDataModule
from fau_lightning.tasks import ExpressionClassifier
from tests.helpers.image_folder_files import write_folder
from tests.helpers.tiny import tiny_args
from tests.helpers.wandb_run_reader import read_offline_run


def test_the_shipped_config_logs_the_tested_checkpoints_verdict_into_the_run_and_the_terminal(
    tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """configs/synthetic.yaml (the main job) carries both analysis callbacks: its W&B run holds the
    filter pictures, the alignment scalars and the per-AU table, read back from disk; the terminal ends
    with the verdict line and the report's place; the report folder stands beside the tested checkpoint.
    """
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, tmp_path, "--trainer.max_epochs=10")])
    run_dir = Path(cli.trainer.logger.experiment.dir).parent
    wandb.finish()
    callbacks = {type(c).__name__: c for c in cli.trainer.callbacks}
    assert callbacks["FilterVisualization"].runs == 2  # epoch 10, then the tested checkpoint at fit end
    run = read_offline_run(run_dir)
    for key in ("filters/relu3_top_patches", "filters/relu3_deconvnet", "fau/relu3_auroc"):
        files = run.metric(f"{key}/filenames")
        assert files and (run_dir / "files" / files[-1][0]).stat().st_size > 200, key
    tested = run.metric("fau/tested_aus")[-1]
    assert tested >= 3 and 0 <= run.metric("fau/recovered_aus")[-1] <= tested
    assert 0 < run.metric("fau/mean_heldout_auroc")[-1] < 1
    table = json.loads((run_dir / "files" / run.metric("fau/relu3_verdicts/path")[-1]).read_text())
    assert table["columns"][:2] == ["AU", "name"] and "recovered" in table["columns"] and len(table["data"]) == tested
    best = Path(cli.trainer.checkpoint_callback.best_model_path)
    report = best.with_suffix(".report")
    numbers = json.loads((report / "report.json").read_text())
    assert numbers["checkpoint"] == str(best) and numbers["fau"]["fau/tested_aus"] == tested
    out = capsys.readouterr().out.strip().splitlines()
    verdict = f"FAU verdict: {len(numbers['fau']['recovered'])} of {int(tested)} AUs recovered"
    assert out[-2].startswith(verdict) and f"{numbers['fau']['evidence']['people']} held-out people" in out[-2]
    assert "the test has little power here" in out[-2] and numbers["fau"]["evidence"]["power_note"] in out[-2]
    assert out[-1].startswith("FAU report (tested checkpoint, ") and out[-1].endswith(f" s): {report / 'report.html'}")


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
            ("FAUAlignmentLogger", {"trend_every_n_epochs": 1}),
        )
    ]
    with_analysis = weights(*every_epoch)
    without = weights("--trainer.callbacks=[]")
    assert with_analysis.keys() == without.keys()
    assert all(torch.equal(with_analysis[k], without[k]) for k in without)


def test_data_without_aus_is_skipped_with_one_warning(tmp_path: Path) -> None:
    write_folder(tmp_path / "faces", {"a": 12, "b": 12})
    data = ImageFolderDataModule(
        str(tmp_path / "faces"), face_crop="none", image_size=16, batch_size=8, val_fraction=0.25, test_fraction=0
    )
    model = ExpressionClassifier(num_classes=2, widths=(4, 4, 4), hidden_units=8)
    fau = FAUAlignmentLogger(trend_every_n_epochs=1)
    filters = FilterVisualization(every_n_epochs=1, num_filters=2, top_k=2)
    trainer = pl.Trainer(
        max_epochs=2, callbacks=[fau, filters], logger=False, enable_progress_bar=False, enable_checkpointing=False
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(model, datamodule=data)
    skipped = [w for w in caught if "FAU alignment skipped" in str(w.message)]
    assert len(skipped) == 1 and "ImageFolderDataModule" in str(skipped[0].message)
    assert filters.runs == 3  # filter pictures still made: each epoch and at fit end
    assert fau.analysis is not None and fau.analysis.fau is None and fau.summary_lines == []


def test_every_n_epochs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FilterVisualization(every_n_epochs=0)


def test_what_depends_only_on_the_data_is_prepared_once_per_fit(
    tiny_synthetic_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The untrained controls and region maps are made at the first judgement and reused by the rest."""
    from fau_lightning.callbacks import fau_alignment

    calls = []
    real = fau_alignment.prepare_evidence
    monkeypatch.setattr(fau_alignment, "prepare_evidence", lambda *a, **k: calls.append(1) or real(*a, **k))
    every_epoch = json.dumps(
        {"class_path": "fau_lightning.callbacks.FAUAlignmentLogger", "init_args": {"trend_every_n_epochs": 1}}
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
    (logger,) = [c for c in cli.trainer.callbacks if isinstance(c, FAUAlignmentLogger)]
    assert logger.trend_runs == 3 and len(calls) == 1 and logger.analysis.fau is not None  # 3 trends, 1 verdict
