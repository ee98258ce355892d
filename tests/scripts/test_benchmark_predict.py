"""scripts/benchmark_predict.py at its smallest: both paths measured and printed (no timing asserted)."""

import sys

import pytest

from tests.helpers.tiny import REPO


def test_prediction_benchmark_reports_both_paths(capsys: pytest.CaptureFixture) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import benchmark_predict

    (row,) = benchmark_predict.main(["--image_sizes", "32", "--frames", "4", "--repeats", "1"])
    assert row["ours"] > 0 and row["naive"] > 0 and row["detect"] > 0 and row["classify"] > 0
    assert "| 32 |" in capsys.readouterr().out
