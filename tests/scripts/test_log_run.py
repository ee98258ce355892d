"""scripts/log_run.py: shows and logs a command's output with times, and says its longest silence."""

import subprocess
import sys
from pathlib import Path

from tests.helpers.tiny import REPO

SCRIPT = REPO / "scripts" / "log_run.py"


def test_every_line_is_logged_with_its_time_and_the_longest_silence_is_said(tmp_path: Path) -> None:
    command = "import sys, time; print('first'); time.sleep(0.6); sys.stderr.write('sec\\rond\\n'); sys.exit(3)"
    log = tmp_path / "run.log"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(log), "--", sys.executable, "-c", command], capture_output=True, text=True
    )
    assert done.returncode == 3  # the command's own exit status
    assert "first" in done.stdout and "ond" in done.stdout  # shown as it came, stderr included
    lines = log.read_text().splitlines()
    assert [line.split(" s  ", 1)[1] for line in lines[:3]] == ["first", "sec", "ond"]  # a carriage return splits
    silence = float(lines[-1].split("longest silence: ")[1].split(" s")[0])
    assert silence >= 0.5 and lines[-1].endswith("after: first")  # a lower bound: sleeping never takes less
    again = subprocess.run(
        [sys.executable, str(SCRIPT), str(log), "--append", "--", sys.executable, "-c", "print('more')"],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0 and log.read_text().startswith(lines[0]) and "more" in log.read_text()
