import json
from pathlib import Path

import cv2
import pytest
from conftest import TINY_SYNTHETIC
from test_cli import REPO, tiny_args
from wandb_run_reader import read_offline_run

from fau_lightning.analyze_cli import main
from fau_lightning.cli import run_cli


@pytest.fixture(scope="module")
def checkpoint(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("analyze")
    csv = ["--config", str(REPO / "configs" / "loggers" / "csv.yaml"), f"--trainer.logger.init_args.save_dir={folder}", "--test_after_fit=false"]
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, folder, *csv)])
    return cli.trainer.checkpoint_callback.best_model_path


def test_report_from_a_checkpoint(checkpoint: str, tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    synthetic = [f"--data.synthetic.{k}={v}" for k, v in TINY_SYNTHETIC.__dict__.items()]
    overrides = [f"--data.root={tiny_synthetic_root}", *synthetic, f"--data.cache_dir={tmp_path / 'cache'}", "--data.image_size=32"]
    main([checkpoint, "--config", str(REPO / "configs" / "synthetic.yaml"), "--output", str(tmp_path / "report"), "--num_filters", "4", "--top_k", "4", "--", *overrides])
    report = tmp_path / "report"
    numbers = json.loads((report / "report.json").read_text())
    assert 0 <= numbers["test"]["accuracy"] <= 1 and len(numbers["test"]["per_class"]) == 8
    assert len(numbers["filters"]["most_selective"]) == 4
    assert numbers["fau"]["fau/supported_aus"] >= 1 and {"au", "auroc", "chance", "spatial", "partner", "found_in"} <= set(numbers["fau"]["alignments"][0])
    page = (report / "report.html").read_text()
    for image in ("confusion.png", "top_patches.png", "deconvnet.png", "conv1_filters.png", "fau_auroc.png", "au_best_filters.png"):
        assert f'src="{image}"' in page or f"src='{image}'" in page, image
        assert cv2.imread(str(report / image)) is not None, image
    out = capsys.readouterr().out
    assert "report.html" in out and "recovered (above chance" in out
    assert (report / "fau_alignment.md").read_text().startswith("| AU | name |")
    assert not list(tmp_path.glob(".report.partial"))


def test_report_is_also_logged_to_an_offline_wandb_run(checkpoint: str, tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    synthetic = [f"--data.synthetic.{k}={v}" for k, v in TINY_SYNTHETIC.__dict__.items()]
    overrides = [f"--data.root={tiny_synthetic_root}", *synthetic, f"--data.cache_dir={tmp_path / 'cache'}", "--data.image_size=32"]
    report = tmp_path / "report"
    main([checkpoint, "--config", str(REPO / "configs" / "synthetic.yaml"), "--output", str(report), "--num_filters", "2", "--top_k", "2", "--wandb", "--", *overrides])
    numbers = json.loads((report / "report.json").read_text())
    run_dir = next((report / "wandb").glob("offline-run-*"))
    assert str(run_dir) in capsys.readouterr().out
    run = read_offline_run(run_dir)
    assert run.metric("test/acc") == [pytest.approx(numbers["test"]["accuracy"])]
    assert run.metric("fau/supported_aus") == [numbers["fau"]["fau/supported_aus"]]
    assert (run_dir / "files" / run.metric("report/confusion/path")[0]).stat().st_size > 200
    table = json.loads((run_dir / "files" / run.metric("fau/alignment/path")[0]).read_text())
    assert table["columns"][0] == "au" and len(table["data"]) == numbers["fau"]["fau/supported_aus"]
