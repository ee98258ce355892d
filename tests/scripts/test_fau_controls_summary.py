"""scripts/fau_controls_summary.py reads each network's test figure from its report, whichever command wrote it."""

import json
import sys
from pathlib import Path

import pytest

from tests.helpers.tiny import REPO

FAU = {
    "alignments": [{"au": 1, "recovered": True}, {"au": 2, "recovered": False}],
    "fau/tested_aus": 2,
    "fau/above_chance_aus": 2,
    "fau/above_control_aus": 1,
    "fau/within_emotion_aus": 1,
    "fau/region_aus": 2,
    "fau/mean_heldout_auroc": 0.7,
    "evidence": {"people": 264, "images": 4808},
}


def _write(path: Path, numbers: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(numbers))


def test_training_and_fau_analyze_reports_both_give_the_test_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import fau_controls_summary

    checkpoint = tmp_path / "au" / "checkpoints" / "best.ckpt"
    _write(tmp_path / "au" / "result.json", {"metrics": {"test/auroc": 0.5}, "checkpoint": str(checkpoint)})
    tested = {"report": "au_detection", "metrics": {"test/auroc": 0.962}}
    _write(checkpoint.with_suffix(".report") / "report.json", {"test": tested, "fau": FAU})
    analyzed = {"test": {"metrics": {"test/acc": 0.028}}, "fau": FAU}
    _write(tmp_path / "untrained_100" / "report" / "report.json", analyzed)

    fau_controls_summary.summary_table(tmp_path, "report")

    printed = capsys.readouterr().out
    row = "| trained to detect the AUs (positive control) | AUROC 0.962 | 264 | 4,808 | 2 | 2 | 1 | 1 | 2 | 0.700 |"
    assert row in printed
    assert "| untrained network, seed 100 | accuracy 0.028 |" in printed
