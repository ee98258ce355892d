"""scripts/fau_controls_summary.py reads each network's test figure from its report, whichever command wrote it."""

import json
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from fau_lightning.analysis.settings import AlignmentSettings
from fau_lightning.analysis.statistics import AUVerdict
from fau_lightning.analysis.verdict_tests import VerdictTest
from tests.helpers.tiny import REPO


def _record(au: int, failed: tuple[VerdictTest, ...]) -> dict:
    """An AU's report.json record whose unit answers its AU more than AU 2 (margin 0.1 to 0.3)."""
    verdict = AUVerdict(
        au=au, sequences=10, best_unit=0, unit="f0 top left", train_auroc=0.8, auroc=0.8, chance=0.6,
        control_mean=0.6, control_sd=0.02, control_p=0.001, within_auroc=0.78, within_chance=0.6,
        region="brows", region_share=0.5, region_base_rate=0.3, found_in="brows", partner=-1, partner_share=0.0,
        auroc_interval=(0.75, 0.85), within_interval=(0.76, 0.80), specific_auroc=0.8, rival=2, rival_auroc=0.6,
        specific_margin=(0.1, 0.3), failed=failed,
    )  # fmt: skip
    return asdict(verdict)


FAU = {
    "alignments": [_record(1, ()), _record(4, (VerdictTest.CONTROL,))],
    "settings": asdict(AlignmentSettings()),
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
    assert row + " **1** | 0 | 1 | [1] | at least 15 |" in printed
    assert "| untrained network, seed 100 | accuracy 0.028 |" in printed
