import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fau_lightning.cli.analyze import main
from fau_lightning.cli.train import run_cli
from tests.helpers.tiny import REPO, csv_logger_args, tiny_args, tiny_data_args
from tests.helpers.wandb_run_reader import read_offline_run


@pytest.fixture(scope="module")
def checkpoint(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("analyze")
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, folder, *csv_logger_args(folder), "--test_after_fit=false")])
    return cli.trainer.checkpoint_callback.best_model_path


def test_report_from_a_checkpoint(
    checkpoint: str, tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    overrides = tiny_data_args(tiny_synthetic_root, tmp_path)
    cache = tmp_path / "controls"
    args = [
        checkpoint,
        "--config",
        str(REPO / "configs" / "synthetic.yaml"),
        "--output",
        str(tmp_path / "report"),
        "--num_filters",
        "4",
        "--top_k",
        "4",
    ]
    main([*args, "--control_seeds", "3", "--control_cache", str(cache), "--shuffles", "200", "--", *overrides])
    report = tmp_path / "report"
    numbers = json.loads((report / "report.json").read_text())
    assert 0 <= numbers["test"]["metrics"]["test/acc"] <= 1 and np.array(numbers["test"]["confusion"]).shape == (8, 8)
    assert len(numbers["filters"]["most_selective"]) == 4
    fau = numbers["fau"]
    assert fau["fau/tested_aus"] >= 1 and fau["controls"] == 3 and len(list(cache.glob("control-*.npz"))) == 3
    evidence = {
        "au",
        "auroc",
        "chance",
        "control_mean",
        "control_sd",
        "control_p",
        "within_auroc",
        "within_chance",
        "region_share",
        "region_base_rate",
        "partner",
        "found_in",
        "recovered",
        "failed",
    }
    assert evidence <= set(fau["alignments"][0])
    for a in fau["alignments"]:
        assert a["recovered"] == (not a["failed"]) and a["control_p"] == a["control_p"]  # never NaN with controls
    # at 32x32 a conv3 unit steps 4 px and the faces' regions lie closer than 8 px: one region, nothing placed
    assert fau["merged_regions"] == [["brows", "eyes", "nose", "mouth", "chin"]]
    assert all("region" in a["failed"] and "+" in a["region"] for a in fau["alignments"])
    page = (report / "report.html").read_text()
    for image in (
        "confusion.png",
        "top_patches.png",
        "deconvnet.png",
        "conv1_filters.png",
        "fau_auroc.png",
        "au_best_units.png",
    ):
        assert f'src="{image}"' in page or f"src='{image}'" in page, image
        assert cv2.imread(str(report / image)) is not None, image
    out = capsys.readouterr().out
    assert "report.html" in out and "recovered (all four tests passed)" in out
    assert (report / "fau_alignment.md").read_text().startswith("| AU | name |")
    assert "<th>within-emotion AUROC</th>" in page
    assert not list(tmp_path.glob(".report.partial"))


def test_report_is_also_logged_to_an_offline_wandb_run(
    checkpoint: str, tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    overrides = tiny_data_args(tiny_synthetic_root, tmp_path)
    report = tmp_path / "report"
    main(
        [
            checkpoint,
            "--config",
            str(REPO / "configs" / "synthetic.yaml"),
            "--output",
            str(report),
            "--num_filters",
            "2",
            "--top_k",
            "2",
            "--control_seeds",
            "2",
            "--wandb",
            "--",
            *overrides,
        ]
    )
    numbers = json.loads((report / "report.json").read_text())
    run_dir = next((report / "wandb").glob("offline-run-*"))
    assert str(run_dir) in capsys.readouterr().out
    run = read_offline_run(run_dir)
    assert run.metric("test/acc") == [pytest.approx(numbers["test"]["metrics"]["test/acc"])]
    assert run.metric("fau/tested_aus") == [numbers["fau"]["fau/tested_aus"]]
    assert (run_dir / "files" / run.metric("report/confusion/path")[0]).stat().st_size > 200
    table = json.loads((run_dir / "files" / run.metric("fau/alignment/path")[0]).read_text())
    assert table["columns"][0] == "AU" and len(table["data"]) == numbers["fau"]["fau/tested_aus"]


def test_an_untrained_network_is_analysed_from_the_config(
    tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    overrides = [*tiny_data_args(tiny_synthetic_root, tmp_path), "--model.widths=[8, 16, 32]"]
    report = tmp_path / "untrained"
    main(
        [
            "--untrained",
            "100",
            "--config",
            str(REPO / "configs" / "synthetic.yaml"),
            "--output",
            str(report),
            "--control_seeds",
            "2",
            "--shuffles",
            "100",
            "--",
            *overrides,
        ]
    )
    numbers = json.loads((report / "report.json").read_text())
    assert numbers["checkpoint"] == "untrained, seed 100" and numbers["fau"]["controls"] == 2
    with pytest.raises(SystemExit):
        main(
            ["--config", str(REPO / "configs" / "synthetic.yaml"), "--output", str(report)]
        )  # neither checkpoint nor --untrained


def test_extra_evidence_adds_other_people_and_refuses_training_subjects(
    checkpoint: str, tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    overrides = tiny_data_args(tiny_synthetic_root, tmp_path)
    args = [
        checkpoint,
        "--config",
        str(REPO / "configs" / "synthetic.yaml"),
        "--num_filters",
        "2",
        "--top_k",
        "2",
        "--control_seeds",
        "2",
        "--shuffles",
        "100",
    ]
    more = tmp_path / "more.yaml"
    more.write_text(
        f"data:\n  init_args:\n    root: {tmp_path / 'more'}\n"
        "    synthetic:\n      first_subject: 12\n      num_subjects: 4\n"
    )
    main([*args, "--output", str(tmp_path / "plain"), "--", *overrides])
    main([*args, "--output", str(tmp_path / "more_report"), "--extra_evidence", str(more), "--", *overrides])
    plain = json.loads((tmp_path / "plain" / "report.json").read_text())["probe"]
    extended = json.loads((tmp_path / "more_report" / "report.json").read_text())["probe"]
    assert extended["selection_images"] == plain["selection_images"]
    assert extended["evidence_images"] > plain["evidence_images"]
    assert (tmp_path / "more" / "cohn-kanade-images" / "S041").is_dir()  # subjects 12.. of the same population
    same_people = tmp_path / "same.yaml"
    same_people.write_text(f"data:\n  init_args:\n    root: {tiny_synthetic_root}\n")
    with pytest.raises(SystemExit) as stop:
        main([*args, "--output", str(tmp_path / "bad"), "--extra_evidence", str(same_people), "--", *overrides])
    assert stop.value.code == 2 and "training subject(s)" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
