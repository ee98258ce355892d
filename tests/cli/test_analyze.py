import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import wandb

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
        "--analysis.num_filters",
        "4",
        "--analysis.patches",
        "4",
    ]
    settings = ["--analysis.control_seeds", "3", "--analysis.shuffles", "200"]
    main([*args, *settings, "--control_cache", str(cache), "--", *overrides])
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
    assert fau["evidence"]["people"] >= 2 and fau["evidence"]["images"] > fau["evidence"]["people"]
    for a in fau["alignments"]:
        assert a["recovered"] == (not a["failed"]) and a["control_p"] == a["control_p"]  # never NaN with controls
    # at 32x32 a conv3 unit steps 4 px and the faces' regions lie closer than 8 px: one region, nothing placed
    assert fau["merged_regions"] == [["brows", "eyes", "nose", "mouth", "chin"]]
    assert all("region" in a["failed"] and "+" in a["region"] for a in fau["alignments"])
    page = (report / "report.html").read_text()
    for image in (
        "confusion.png",
        "top_patches.png",
        "projections.png",
        "conv1_filters.png",
        "fau_auroc.png",
        "au_best_units.png",
    ):
        assert f'src="{image}"' in page or f"src='{image}'" in page, image
        assert cv2.imread(str(report / image)) is not None, image
    captured = capsys.readouterr()
    detectors = (
        f"FAU verdict: {len(fau['specific_detectors'])} of {len(fau['alignments'])} AUs have a specific detector"
    )
    assert "report.html" in captured.out and detectors in captured.out
    assert "fau-analyze: untrained networks 3/3" in captured.err
    assert any(line.startswith("fau-analyze: occlusion of ") and " 5/5 " in line for line in captured.err.splitlines())
    assert f"fau-analyze: untrained networks' cache {cache}: 3 entries" in captured.err
    assert (report / "fau_alignment.md").read_text().startswith("| AU | name |")
    assert "<th class=''>within-emotion AUROC</th>" in page
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
            "--analysis.num_filters",
            "2",
            "--analysis.patches",
            "2",
            "--analysis.control_seeds",
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
    assert (run_dir / "files" / run.metric("test/confusion_matrix/filenames")[0][0]).stat().st_size > 200
    table = json.loads((run_dir / "files" / run.metric("fau/relu3_verdicts/path")[0]).read_text())
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
            "--analysis.control_seeds",
            "2",
            "--analysis.shuffles",
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
    with pytest.raises(SystemExit):
        main(["--untrained", "1", "--output", str(report)])  # an untrained network needs a config


def test_extra_evidence_adds_other_people_and_refuses_training_subjects(
    checkpoint: str, tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    overrides = tiny_data_args(tiny_synthetic_root, tmp_path)
    args = [
        checkpoint,
        "--config",
        str(REPO / "configs" / "synthetic.yaml"),
        "--analysis.num_filters",
        "2",
        "--analysis.patches",
        "2",
        "--analysis.control_seeds",
        "2",
        "--analysis.shuffles",
        "100",
    ]
    more = tmp_path / "more.yaml"
    more.write_text(
        f"data:\n  init_args:\n    root: {tmp_path / 'more'}\n"
        "    synthetic:\n      first_subject: 12\n      num_subjects: 4\n"
    )
    main([*args, "--output", str(tmp_path / "plain"), "--", *overrides])
    main([*args, "--output", str(tmp_path / "more_report"), "--extra_evidence", str(more), "--", *overrides])
    plain = json.loads((tmp_path / "plain" / "report.json").read_text())["fau"]["evidence"]
    extended = json.loads((tmp_path / "more_report" / "report.json").read_text())["fau"]["evidence"]
    assert extended["selection_images"] == plain["selection_images"]
    assert extended["images"] > plain["images"] and extended["people"] == plain["people"] + 4
    assert (tmp_path / "more" / "cohn-kanade-images" / "S041").is_dir()  # subjects 12.. of the same population
    same_people = tmp_path / "same.yaml"
    same_people.write_text(f"data:\n  init_args:\n    root: {tiny_synthetic_root}\n")
    with pytest.raises(SystemExit) as stop:
        main([*args, "--output", str(tmp_path / "bad"), "--extra_evidence", str(same_people), "--", *overrides])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and "training subject(s)" in err[-1] and err[-1].startswith("fau-analyze: error: ")
    assert not (tmp_path / "bad").exists()


def test_the_training_run_and_fau_analyze_give_the_same_verdict_of_the_tested_checkpoint(
    tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """The main job's recipe on the tiny set with extra evidence people, logged to W&B; then
    `fau-analyze` on its tested checkpoint, with no --config (the checkpoint's own data): the W&B
    table and report.json hold the same rows, and both say how many people the verdict rests on.
    """
    args = tiny_args(tiny_synthetic_root, tmp_path, *tiny_data_args(tiny_synthetic_root, tmp_path, 4))
    cli = run_cli(["fit", *args, "--trainer.max_epochs=4"])
    run_dir = Path(cli.trainer.logger.experiment.dir).parent
    best = cli.trainer.checkpoint_callback.best_model_path
    wandb.finish()
    trained_out = capsys.readouterr().out
    main([best, "--output", str(tmp_path / "analysis")])
    numbers = json.loads((tmp_path / "analysis" / "report.json").read_text())["fau"]
    run = read_offline_run(run_dir)
    table = json.loads((run_dir / "files" / run.metric("fau/relu3_verdicts/path")[-1]).read_text())
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["data"]]
    assert len(rows) == len(numbers["alignments"]) >= 3
    for row, alignment in zip(rows, numbers["alignments"], strict=True):
        assert row["AU"] == alignment["au"] and row["best unit"] == alignment["unit"]
        assert row["AUROC (held-out)"] == pytest.approx(alignment["auroc"], abs=1e-9)
        assert row["within-emotion AUROC"] == pytest.approx(alignment["within_auroc"], abs=1e-9, nan_ok=True)
        assert row["p vs untrained"] == pytest.approx(alignment["control_p"], abs=1e-9)
        assert row["recovered"] == alignment["recovered"] and row["grade"] == alignment["grade"]
        assert row["specific"] == alignment["specific"] and row["outcome"] == alignment["outcome"]
        graded = alignment["recovered"] and (
            alignment["specific"] or alignment["specific_auroc"] != alignment["specific_auroc"]
        )
        assert (alignment["grade"] != "") == graded and alignment["detector"] == (
            alignment["recovered"] and alignment["specific"]
        )
        assert len(alignment["auroc_interval"]) == len(alignment["within_interval"]) == 2
        whole = next(w for w in numbers["whole_map"]["alignments"] if w["au"] == alignment["au"])
        assert row["whole map"].startswith("recovered" if whole["recovered"] else "failed")
    assert run.metric("fau/recovered_aus")[-1] == len(numbers["recovered"])
    assert run.metric("fau/whole_map_recovered_aus")[-1] == len(numbers["whole_map"]["recovered"])
    graded = [a["au"] for a in numbers["alignments"] if a["grade"]]
    assert sum(run.metric(f"fau/{g}_aus")[-1] for g in ("strong", "clear", "weak")) == len(graded)
    assert run.metric("fau/specific_detectors")[-1] == len(numbers["specific_detectors"])
    assert run.metric("fau/responds_to_other_aus")[-1] == len(numbers["responds_to_other"])
    evidence = numbers["evidence"]
    records, split_of = cli.datamodule.analysis_records()
    assert evidence["people"] == 4 + len(set(records.subject[np.isin(split_of, ["val", "test"])]))
    line = f"FAU verdict: {len(numbers['specific_detectors'])} of {len(rows)} AUs have a specific detector"
    assert f"; {len(numbers['recovered'])} recovered in all, " in trained_out
    assert line in trained_out and f"judged on {evidence['people']} held-out people" in trained_out
    assert line in capsys.readouterr().out


def test_the_report_shows_the_verdict_first_and_names_every_unit_it_shows(checkpoint: str, tmp_path: Path) -> None:
    settings = ["--analysis.control_seeds", "2", "--analysis.shuffles", "100"]
    main([checkpoint, "--output", str(tmp_path / "report"), *settings])
    page = (tmp_path / "report" / "report.html").read_text()
    numbers = json.loads((tmp_path / "report" / "report.json").read_text())
    summary, table = page.index("class='summary'"), page.index("class='verdicts'")
    assert summary < table < page.index("fau_auroc.png")
    head = page[summary:table]
    count = f"{len(numbers['fau']['specific_detectors'])} of {int(numbers['fau']['fau/tested_aus'])}"
    assert f"<span class='count'>{count}</span> AUs have a specific detector" in head
    assert f"{numbers['fau']['evidence']['people']} people" in head
    assert "<b>Power:</b> only" in head  # a few held-out people: the count is a lower bound
    for a in numbers["fau"]["alignments"]:
        kinds = {"failed": "failed", "responds": "responds", "recovered, not shown specific": "unsettled"}
        colour = next((c for start, c in kinds.items() if a["outcome"].startswith(start)), "detector")
        assert f"chip {colour}' title='{a['outcome']}'>AU{a['au']}<" in head
    captions = " ".join(page[i : page.index("</figcaption>", i)] for i in _all(page, "<figcaption>"))
    for a in numbers["fau"]["alignments"]:
        assert f"AU{a['au']}: {a['unit']}" in captions
    for f in numbers["filters"]["most_selective"]:
        assert f"f{f}" in captions


def test_the_control_cache_is_shown_and_cleared(checkpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cache = tmp_path / "controls"
    args = [checkpoint, "--output", str(tmp_path / "r"), "--analysis.control_seeds", "2", "--analysis.shuffles", "50"]
    main([*args, "--control_cache", str(cache)])
    assert len(list(cache.glob("control-*.npz"))) == 2
    capsys.readouterr()
    main(["--clear_cache", "--control_cache", str(cache)])
    assert f"control cache {cache}: removed 2 entries" in capsys.readouterr().out
    assert not list(cache.glob("*.npz"))


def _all(text: str, needle: str) -> list[int]:
    found, start = [], text.find(needle)
    while start >= 0:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


def test_the_output_never_replaces_what_is_not_an_earlier_report(
    checkpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a folder holding a user's file was deleted and replaced by the report (rc 0)."""
    settings = ["--analysis.control_seeds", "2", "--analysis.shuffles", "50"]
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "important.txt").write_text("keep me")
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me too")
    monkeypatch.chdir(tmp_path)
    refusals = {
        str(victim): "holds files that are not a report (important.txt)",
        str(a_file): "is a file; give a folder",
        str(a_file / "report"): f"{a_file} is a file, not a folder",
        ".": "is the working folder",
    }
    for output, said in refusals.items():
        with pytest.raises(SystemExit) as stop:
            main([checkpoint, "--output", output, *settings])
        err = capsys.readouterr().err.strip().splitlines()
        assert stop.value.code == 2 and said in err[-1] and err[-1].startswith(f"fau-analyze: error: --output {output}")
        assert not any("reading the data" in line for line in err)  # refused before any work
    assert (victim / "important.txt").read_text() == "keep me" and a_file.read_text() == "keep me too"
    assert not list(tmp_path.glob(".*tmp-*"))

    report = tmp_path / "report"
    main([checkpoint, "--output", str(report), *settings])
    first = (report / "report.json").stat().st_mtime_ns
    with pytest.raises(SystemExit):
        main([checkpoint, "--output", str(report), *settings])
    assert "holds an earlier report; give --overwrite" in capsys.readouterr().err
    main([checkpoint, "--output", str(report), "--overwrite", *settings])
    assert (report / "report.json").stat().st_mtime_ns != first and (report / "report.html").exists()


def test_the_verdict_judged_on_another_draw_of_people_says_which(
    checkpoint: str, tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    overrides = [*tiny_data_args(tiny_synthetic_root, tmp_path, evidence_subjects=4)]
    args = [checkpoint, "--config", str(REPO / "configs" / "synthetic.yaml"), "--analysis.control_seeds", "2"]
    args += ["--analysis.shuffles", "50", "--analysis.num_filters", "2", "--analysis.patches", "2"]
    args += ["--control_cache", str(tmp_path / "controls")]
    main([*args, "--output", str(tmp_path / "draw_2"), "--evidence_draw", "2", "--", *overrides])
    evidence = json.loads((tmp_path / "draw_2" / "report.json").read_text())["fau"]["evidence"]
    assert evidence["further_people"] == {"first_subject": 12 + 2 * 4, "people": 4, "draw": 2}


def test_help_lists_every_setting_with_its_description(capsys: pytest.CaptureFixture) -> None:
    """The settings' descriptions come from docstrings, where "95 %" once broke argparse's help."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "95 % interval" in shown and "--analysis.layer" in shown and "layer1..layer4 for resnet18" in shown
