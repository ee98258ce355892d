"""One evaluation path: the training run's report is fau-analyze's, holds the run's dashboard (test
figures, the confusion matrix of the tested checkpoint, per-epoch curves, the verdict, the filters),
says its progress, and its W&B run keeps every file it names under the logger's folder.
"""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import cv2
import pytest
import wandb

from fau_lightning.analysis.controls import default_control_cache
from fau_lightning.checkpoint.reading import read_checkpoint
from fau_lightning.cli.analyze import main as analyze
from fau_lightning.cli.train import WANDB_DATA_FOLDER, run_cli
from tests.helpers.tiny import REPO, tiny_args
from tests.helpers.wandb_run_reader import _records, read_offline_run


@pytest.fixture(scope="module")
def trained(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """The main job's config on the tiny set, 3 epochs, with its W&B run; what it printed."""
    save_dir = tmp_path_factory.mktemp("runs")
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, save_dir, "--trainer.max_epochs=3")])
    run_dir = Path(cli.trainer.logger.experiment.dir).parent
    wandb.finish()
    best = Path(cli.trainer.checkpoint_callback.best_model_path)
    return cli, save_dir, run_dir, best


class _Sections(HTMLParser):
    """The page's h2 sections by id, each with its text and the images it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self._current: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "h2" and "id" in attrs:
            self._current = self.sections.setdefault(attrs["id"], {"text": "", "images": []})
        elif tag == "img" and self._current is not None:
            self._current["images"].append(attrs["src"])

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current["text"] += data


def test_the_training_runs_report_equals_fau_analyzes_on_the_same_checkpoint(trained, tmp_path: Path) -> None:
    _, _, _, best = trained
    written = json.loads((best.with_suffix(".report") / "report.json").read_text())
    analyze([str(best), "--output", str(tmp_path / "again")])
    again = json.loads((tmp_path / "again" / "report.json").read_text())
    assert written["test"]["metrics"]["test/acc"] == again["test"]["metrics"]["test/acc"]
    assert written["fau"]["fau/tested_aus"] >= 3 and written["history"]
    assert written == again  # test figures, history, filters and verdict: one computation


def test_the_report_is_the_runs_dashboard(trained) -> None:
    cli, _, _, best = trained
    report = best.with_suffix(".report")
    numbers = json.loads((report / "report.json").read_text())
    checkpoint = read_checkpoint(best)
    epoch, step = checkpoint["epoch"], checkpoint["global_step"]
    test = numbers["test"]
    assert (test["epoch"], test["step"]) == (epoch, step)
    assert test["weights"] == f"test, checkpoint of epoch {epoch} (step {step})"
    assert len(test["confusion"]) == len(test["class_names"]) == 8
    assert sum(map(sum, test["confusion"])) == len(cli.datamodule.datasets["test"])
    history = numbers["history"]
    assert [row["epoch"] for row in history] == list(range(epoch + 1))  # up to the checkpoint's own epoch
    assert all("val/acc" in row and "val/loss" in row for row in history)
    assert all("train/loss" in row and "train/acc" in row for row in history[:-1])
    parser = _Sections()
    parser.feed((report / "report.html").read_text())
    sections = parser.sections
    assert list(sections) == ["test", "training", "verdict", "filters"]
    assert f"checkpoint of epoch {epoch} (step {step})" in sections["test"]["text"]
    assert f"{test['metrics']['test/acc']:.4f}" in sections["test"]["text"]
    assert sections["test"]["images"] == ["confusion.png"] and sections["training"]["images"] == ["curves.png"]
    assert "fau_auroc.png" in sections["verdict"]["images"] and "top_patches.png" in sections["filters"]["images"]
    for name in ("confusion.png", "curves.png", "fau_auroc.png", "top_patches.png"):
        assert cv2.imread(str(report / name)) is not None, name
    assert "**" not in (report / "report.html").read_text()  # no Markdown in the page


def test_the_run_says_its_progress_and_ends_with_the_verdict(trained) -> None:
    _, _, _, best = trained
    log = (best.with_suffix(".report") / "progress.log").read_text().splitlines()
    said = " | ".join(log)
    for stage in (
        "testing ",
        "units on the held-out people",
        "untrained networks 1/30",
        "untrained networks 30/30",
        "occlusion of ",
        "judging",
    ):
        assert stage in said, stage
    assert any("occlusion of " in line and line.endswith("5/5 (" + line.rsplit("(", 1)[1]) for line in log)
    assert log[-1].endswith("drawing the report")


def test_the_run_folder_travels_with_every_file_its_tables_name(trained, tmp_path: Path) -> None:
    """W&B stages a table's images outside the run; here they stay under the logger's save_dir, so a
    copy of that folder holds every file the run names.
    """
    _, save_dir, run_dir, _ = trained
    moved = tmp_path / "elsewhere"
    shutil.copytree(save_dir, moved)
    (log,) = run_dir.glob("run-*.wandb")
    named = [
        Path(entry.local_path)
        for record in _records(log.read_bytes())
        if record.WhichOneof("record_type") == "artifact"
        for entry in record.artifact.manifest.contents
    ]
    assert len(named) > 3  # the verdict table and its images
    for path in named:
        assert path.is_relative_to(save_dir.resolve() / WANDB_DATA_FOLDER), path
        assert (moved / path.relative_to(save_dir.resolve())).stat().st_size > 0, path
    run = read_offline_run(run_dir)
    for files in run.metric("filters/relu3_top_patches/filenames"):
        assert (moved / run_dir.relative_to(save_dir) / "files" / files[0]).exists()


def test_a_quick_experiment_skips_the_verdict_and_keeps_the_rest(
    tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    cache = default_control_cache()
    before = set(cache.glob("*")) if cache.exists() else set()
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, tmp_path, "--verdict=false", "--trainer.logger=false")])
    best = Path(cli.trainer.checkpoint_callback.best_model_path)
    numbers = json.loads((best.with_suffix(".report") / "report.json").read_text())
    assert numbers["fau"] == {"skipped": "not asked for"} and numbers["test"]["metrics"] and numbers["history"]
    assert (set(cache.glob("*")) if cache.exists() else set()) == before  # no untrained network was made
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-2] == "FAU verdict: none (not asked for)"
    assert out[-1].startswith("report of the tested checkpoint (") and out[-1].endswith("report.html")


def test_the_tensorboard_overlay_logs_beside_wandb(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    """configs/loggers/tensorboard.yaml: the run's curves, confusion matrices and report figures in
    TensorBoard too, read back from its event files.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    overlay = tmp_path / "tensorboard.yaml"  # the shipped overlay, logging under tmp_path
    overlay.write_text((REPO / "configs" / "loggers" / "tensorboard.yaml").read_text().replace("runs", str(tmp_path)))
    run_cli(["fit", *tiny_args(tiny_synthetic_root, tmp_path, "--config", str(overlay), "--analysis.control_seeds=2")])
    wandb.finish()
    scalars, images = set(), set()
    for events in (tmp_path / "tensorboard").glob("version_*/events.*"):
        accumulator = EventAccumulator(str(events))
        accumulator.Reload()
        scalars |= set(accumulator.Tags()["scalars"])
        images |= set(accumulator.Tags()["images"])
    assert {"val/acc", "train/acc", "test/acc", "fau/recovered_aus"} <= scalars
    assert {"test/confusion_matrix", "fau/relu3_auroc", "filters/relu3_top_patches"} <= images
    assert list((tmp_path / "wandb").glob("offline-run-*"))
