"""A write that fails (a full disk, a file-size limit, no permission) ends every command with one line
naming the file, and leaves no partial file behind.

A full disk is made real for one process by the kernel's file-size limit (RLIMIT_FSIZE, with SIGXFSZ
ignored): any write past the limit fails with EFBIG, as one on a full disk fails with ENOSPC, through
the same code. A read-only folder is made by permissions, which root ignores; that test is skipped there.
"""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers.tiny import REPO, csv_logger_args, tiny_args

COMMANDS = {  # the console commands, as `python -c` runs them in a child process
    name: f"from fau_lightning.cli.{module} import main; main()"
    for name, module in [("fau-analyze", "analyze"), ("fau-predict", "predict"), ("fau-export", "export")]
}


def run_limited(command: list[str], max_file_bytes: int | None) -> subprocess.CompletedProcess:
    """Run `command` with no file it writes allowed past `max_file_bytes`."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        command, preexec_fn=limit if max_file_bytes else None, capture_output=True, text=True, env=env, timeout=600
    )


def command(name: str, *args: str) -> list[str]:
    if name == "fau-train":
        return [sys.executable, "-m", "fau_lightning", *args]
    return [sys.executable, "-c", COMMANDS[name], *args]


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp-" in p.name)


def error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and lines, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return lines[-1]


def test_fau_train_on_a_full_disk_names_the_cache_file(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    result = run_limited(
        command("fau-train", "fit", *tiny_args(tiny_synthetic_root, tmp_path, *csv_logger_args(tmp_path))), 20_000
    )
    line = error_line(result)
    assert line.startswith(f"fau-train: error: {tmp_path / 'cache'}/faces-") and line.endswith(
        ".npz: cannot be written: File too large"
    )
    assert leftovers(tmp_path) == [] and not list((tmp_path / "cache").glob("*.npz"))


def test_fau_analyze_on_a_full_disk_names_the_report_and_leaves_no_part_of_it(
    tiny_checkpoint: Path, tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    args = [str(tiny_checkpoint), "--output", str(report), "--analysis.control_seeds", "2", "--analysis.shuffles", "50"]
    args += ["--control_cache", str(tmp_path / "controls")]
    line = error_line(run_limited(command("fau-analyze", *args), 20_000))
    assert line.startswith(f"fau-analyze: error: {report}") and line.endswith("cannot be written: File too large")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["controls"] and leftovers(tmp_path) == []


def test_fau_export_and_fau_predict_on_a_full_disk_name_their_output(tiny_checkpoint: Path, tmp_path: Path) -> None:
    exported = tmp_path / "model.onnx"
    line = error_line(run_limited(command("fau-export", str(tiny_checkpoint), "--output", str(exported)), 2_000))
    assert line == f"fau-export: error: {exported}: cannot be written: File too large"
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(40):
        cv2.imwrite(str(photos / f"face{i:02d}.png"), np.full((64, 64), 100 + i, np.uint8))
    rows, annotated = tmp_path / "rows.csv", tmp_path / "annotated"
    args = [str(tiny_checkpoint), str(photos), "--no_detect", "--output", str(rows), "--annotate", str(annotated)]
    line = error_line(run_limited(command("fau-predict", *args), 1_000))
    assert line.startswith("fau-predict: error: ") and line.endswith("cannot be written: File too large")
    assert str(rows) in line or str(annotated) in line
    assert not rows.exists() and leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_folder_is_one_line(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    try:
        args = tiny_args(tiny_synthetic_root, tmp_path, *csv_logger_args(tmp_path))
        line = error_line(run_limited(command("fau-train", "fit", *args), None))
    finally:
        cache.chmod(0o755)
    assert line.startswith(f"fau-train: error: {cache}") and "Permission denied" in line
