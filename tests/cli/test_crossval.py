import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fau_lightning.cli.crossval import main, parse_folds
from fau_lightning.evaluation.crossval_summary import SplitResult, summarize, summarize_aus
from tests.helpers.tiny import REPO, TINY_TRAINING, tiny_data_args
from tests.helpers.wandb_run_reader import read_offline_run

NAMES = ["a", "b", "c"]


def test_parse_folds() -> None:
    assert parse_folds("all", 10) == list(range(10))
    assert parse_folds("0-3", 10) == [0, 1, 2, 3]
    assert parse_folds("7,1,3-4,1", 10) == [1, 3, 4, 7]
    with pytest.raises(ValueError, match=r"\[5\] are outside 0..4"):
        parse_folds("3-5", 5)


def test_summary_numbers() -> None:
    c1 = np.array([[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    c2 = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 4]])
    summary = summarize([SplitResult(1, 5 / 7, 0.5, c2, NAMES), SplitResult(0, 5 / 6, 0.8, c1, NAMES)])
    assert [r.split for r in summary.splits] == [0, 1]
    assert summary.mean == pytest.approx((5 / 6 + 5 / 7) / 2)
    assert summary.std == pytest.approx(np.std([5 / 6, 5 / 7], ddof=1))
    assert np.array_equal(summary.confusion, c1 + c2)
    assert summary.pooled_accuracy == pytest.approx(11 / 13)
    assert np.allclose(summary.per_class, [4 / 5, 3 / 4, 1.0])
    csv = summary.to_csv()
    assert "0,0.8333,0.8000" in csv and "mean,0.7738," in csv and "a,4,1,0" in csv
    assert "77.4 ± 8.4 %" in summary.to_markdown()
    empty_class = summarize([SplitResult(0, 5 / 6, 0.8, c1, NAMES)])
    assert np.isnan(empty_class.per_class[2]) and "| – |" in empty_class.to_markdown()
    with pytest.raises(ValueError, match="disagree on the class names"):
        summarize([SplitResult(0, 1, 1, c1, NAMES), SplitResult(1, 1, 1, c2, ["x", "y", "z"])])


@pytest.mark.slow
def test_interrupted_sweep_finishes_only_the_missing_splits(
    tiny_synthetic_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the splits import tests.helpers.kill_switch
    output = tmp_path / "sweep"
    overrides = [*tiny_data_args(tiny_synthetic_root, tmp_path), *TINY_TRAINING]
    command = [
        "--config",
        str(REPO / "configs" / "synthetic.yaml"),
        "--folds",
        "0-2",
        "--output",
        str(output),
        "--group",
        "sweep",
    ]
    kill = json.dumps(
        {
            "class_path": "tests.helpers.kill_switch.KillInFold",
            "init_args": {"fold": 1, "step": 5, "marker": str(tmp_path / "killed")},
        }
    )
    overrides.append(f"--trainer.callbacks+={kill}")  # kills once: the rerun has the very same settings
    with pytest.raises(SystemExit, match=r"splits \[1\] failed"):
        main([*command, "--", *overrides])
    assert (output / "split_0" / "result.json").exists() and (output / "split_2" / "result.json").exists()
    assert (
        not (output / "split_1" / "result.json").exists()
        and (output / "split_1" / "checkpoints" / "last.ckpt").exists()
    )
    assert "over 2 splits" in (output / "summary.md").read_text()
    finished = {f: (output / f"split_{f}" / "result.json").stat().st_mtime_ns for f in (0, 2)}

    main([*command, "--", *overrides])

    assert {f: (output / f"split_{f}" / "result.json").stat().st_mtime_ns for f in (0, 2)} == finished  # not rerun
    log = (output / "split_1" / "train.log").read_text()
    assert "Restoring states from the checkpoint path" in log  # resumed, not restarted
    table = (output / "summary.md").read_text()
    assert "over 3 splits" in table and "| split | 0 | 1 | 2 |" in table
    rows = (output / "summary.csv").read_text().splitlines()
    assert rows[0] == "split,accuracy,macro_accuracy" and [r.split(",")[0] for r in rows[1:4]] == ["0", "1", "2"]
    assert (output / "summary_confusion.png").stat().st_size > 1000
    runs = [read_offline_run(d) for d in sorted((output / "wandb").glob("offline-run-*"))]
    assert {r.group for r in runs} == {"sweep"}
    assert {r.run_id for r in runs} == {"sweep-split0", "sweep-split1", "sweep-split2", "sweep-summary"}
    summary_run = [r for r in runs if r.name == "summary"][-1]  # the second invocation's
    assert summary_run.metric("crossval/acc_mean")[-1] == pytest.approx(float(rows[4].split(",")[1]), abs=1e-4)

    # Other settings into the same folder: refused before any training, naming what differs.
    with pytest.raises(SystemExit) as refused:
        main([*command, "--", *overrides, "--model.lr=0.05"])
    assert refused.value.code == 2
    said = capsys.readouterr()
    assert "model.init_args.lr 0.01 -> 0.05" in said.err and "--restart" in said.err
    assert {f: (output / f"split_{f}" / "result.json").stat().st_mtime_ns for f in (0, 2)} == finished


@pytest.mark.slow
def test_progress_lines_and_a_restart(tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    output = tmp_path / "sweep"
    overrides = [*tiny_data_args(tiny_synthetic_root, tmp_path), *TINY_TRAINING, "--trainer.max_epochs=1"]
    command = ["--config", str(REPO / "configs" / "synthetic.yaml"), "--folds", "0-1", "--output", str(output)]
    main([*command, "--", *overrides])
    out = capsys.readouterr().out
    assert re.search(r"split 0 done, 1 of 2: accuracy \d\.\d{4}, elapsed \d+m\d\ds, ETA \d+m\d\ds", out)
    assert re.search(r"split 1 done, 2 of 2: accuracy", out)
    assert json.loads((output / "split_0" / "settings.json").read_text())["settings"]["model.init_args.lr"] == 0.01
    main([*command, "--restart", "--", *overrides, "--model.lr=0.05"])
    assert "accuracy" in capsys.readouterr().out  # both splits trained again, under the new settings
    assert json.loads((output / "split_1" / "settings.json").read_text())["settings"]["model.init_args.lr"] == 0.05


def test_the_default_folder_is_named_by_the_settings() -> None:
    from fau_lightning.cli.crossval import make_plan

    def plan(*overrides: str):
        args = argparse.Namespace(
            config=[str(REPO / "configs" / "synthetic.yaml")], output=None, group=None, devices="", parallel=None
        )
        args.folds = "all"
        return make_plan(args, list(overrides))

    first, same, other = plan(), plan("--data.fold=3"), plan("--model.lr=0.05")
    assert first.output == same.output and first.output.name.startswith("synthetic-")  # the fold is not a setting
    assert other.output != first.output and other.group != first.group


@pytest.mark.parametrize(
    ("config", "headline", "per_split"),
    [
        ("synthetic.yaml", r"\*\*Test accuracy over 2 splits: ", r"split 0 done, 1 of 2: accuracy \d\.\d{4}"),
        (
            "synthetic_au.yaml",
            r"\*\*Test mean AUROC over AUs, 2 splits: ",
            r"split 0 done, 1 of 2: AUROC \d\.\d{4}",
        ),
    ],
)
def test_each_task_is_summarised_as_it_declares(
    config: str, headline: str, per_split: str, tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    output = tmp_path / "sweep"
    overrides = [*tiny_data_args(tiny_synthetic_root, tmp_path), *TINY_TRAINING, "--trainer.max_epochs=1"]
    main(["--config", str(REPO / "configs" / config), "--folds", "0-1", "--output", str(output), "--", *overrides])
    assert re.search(per_split, capsys.readouterr().out)
    table = (output / "summary.md").read_text()
    assert re.search(headline, table)
    records = {f: json.loads((output / f"split_{f}" / "result.json").read_text()) for f in (0, 1)}
    csv = (output / "summary.csv").read_text().splitlines()
    if config == "synthetic_au.yaml":
        assert {r["report"] for r in records.values()} == {"au_detection"} and records[0]["confusion"] is None
        summary = summarize_aus(records)
        au = records[0]["class_names"][0]
        aurocs = [records[f]["metrics"][f"test/auroc_au/{au}"] for f in (0, 1)]
        assert summary.per_au("auroc")[0] == pytest.approx((np.mean(aurocs), np.std(aurocs, ddof=1)))
        row = next(line for line in csv if line.startswith(f"{au},"))
        assert float(row.split(",")[1]) == pytest.approx(np.mean(aurocs), abs=1e-4)
        assert f"| {au} | {np.mean(aurocs):.3f} ± {np.std(aurocs, ddof=1):.3f} |" in table
        assert not (output / "summary_confusion.png").exists()
    else:
        assert {r["report"] for r in records.values()} == {"classification"}
        assert csv[1].startswith("0,") and float(csv[1].split(",")[1]) == pytest.approx(
            records[0]["metrics"]["test/acc"], abs=1e-4
        )
        assert (output / "summary_confusion.png").exists()


def test_array_tasks_run_their_splits_into_one_folder_and_a_summary_only_call_joins_them(
    tiny_synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """As a cluster's job array would: two tasks at once, one split each, then one summary."""
    output = tmp_path / "shared"
    configs = ["--config", str(REPO / "configs" / "synthetic.yaml"), "--output", str(output)]
    overrides = ["--", *tiny_data_args(tiny_synthetic_root, tmp_path), *TINY_TRAINING]
    with pytest.raises(SystemExit):
        main([*configs, "--folds", "0-1", "--summary_only", *overrides])
    assert (
        capsys.readouterr().err.strip().endswith(f"{output}: no finished split to summarise (no split_k/result.json)")
    )
    entry = "from fau_lightning.cli.crossval import main; main()"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    tasks = [
        subprocess.Popen(
            [sys.executable, "-c", entry, *configs, "--folds", str(fold), "--no_summary", *overrides],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for fold in (0, 1)
    ]
    logs = [task.communicate(timeout=900)[0] for task in tasks]
    assert [task.returncode for task in tasks] == [0, 0], logs
    assert not (output / "summary.csv").exists()  # the tasks leave the summary to the one call
    with pytest.raises(SystemExit, match=r"splits \[2\] have no result yet; the summary holds the other 2"):
        main([*configs, "--folds", "0-2", "--summary_only", *overrides])
    capsys.readouterr()
    main([*configs, "--folds", "0-1", "--summary_only", *overrides])
    assert "2 of 2 splits" in capsys.readouterr().out
    rows = (output / "summary.csv").read_text().splitlines()
    for fold in (0, 1):
        accuracy = json.loads((output / f"split_{fold}" / "result.json").read_text())["metrics"]["test/acc"]
        assert any(row.startswith(f"{fold},{accuracy:.4f},") for row in rows), rows
