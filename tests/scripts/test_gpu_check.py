"""scripts/gpu_check.sh --smoke: every stage of the GPU check runs on a CPU at toy size, so the
script a lent GPU machine will run cannot rot (no timing asserted).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.tiny import REPO

pytestmark = pytest.mark.slow


def test_the_gpu_check_runs_every_stage_on_a_cpu(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_SERVICE")}
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "gpu_check.sh"), "--smoke", "--output", str(report), "--work", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = report.read_text()
    for stage in ("cuda tests", "benchmark", "one paper-protocol split", "ten-split table"):
        assert f"| {stage} | ok |" in text, stage
    assert "CUDA tests: 7 skipped" in text and "One paper-protocol split:" in text and "crossval: 2 splits" in text
    assert "| 48 | workers | 32-true |" in text or "| 32 | workers | 32-true |" in text  # the benchmark's table


def test_only_the_gpu_run_has_stage_limits(tmp_path: Path) -> None:
    """The CPU rehearsal once stopped its benchmark at a 60 s limit on a busy machine: a timed assertion."""
    sys.path.insert(0, str(REPO / "scripts"))
    import gpu_check

    assert all(stage.limit_s is None for stage in gpu_check.stages(True, tmp_path))
    assert all(stage.limit_s and stage.limit_s > 0 for stage in gpu_check.stages(False, tmp_path))
