"""What each task reports, declared once: its headline test figure, how the end-of-run summary reads its
test metrics, and how cross-validation summarises its splits.

A task names its report (`FaceTask.report`); every test record it writes (`result.json`, `report.json`)
carries the report's name under "report", so commands and scripts read a record without guessing from
which metrics happen to be in it. Pure: no Lightning.
"""

import math
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from fau_lightning.evaluation.crossval_summary import AUSummary, CrossvalSummary, SplitResult, summarize, summarize_aus


class TaskReport(ABC):
    """A task's test figures in words and over splits."""

    name: ClassVar[str]  # recorded under "report" in every test record
    headline: ClassVar[str]  # the test metric a run is summarised by
    headline_label: ClassVar[str]
    summary_metrics: ClassVar[tuple[tuple[str, str], ...]]  # (metric, how the end-of-run summary names it)
    per_output: ClassVar[str]  # the per-class or per-AU metric whose NaN means "absent from the test split"
    absent_words: ClassVar[str]

    def headline_text(self, metrics: dict[str, float], digits: int = 4) -> str:
        """The headline figure of one test record, e.g. "accuracy 0.8889"."""
        return f"{self.headline_label} {metrics.get(self.headline, float('nan')):.{digits}f}"

    def summary_lines(self, metrics: dict[str, float], tested_on: str) -> list[str]:
        """The test figures at the end of a run, and the outputs the test split could not measure."""
        lines = [
            f"{label}{f' ({tested_on})' if i == 0 else ''}: {metrics.get(key, float('nan')):.4f}"
            for i, (key, label) in enumerate(self.summary_metrics)
        ]
        absent = [k.rsplit("/", 1)[1] for k, v in metrics.items() if f"/{self.per_output}/" in k and math.isnan(v)]
        if absent:
            lines.append(f"{self.absent_words}: {', '.join(absent)}")
        return lines

    @abstractmethod
    def summarize_splits(self, records: dict[int, dict]) -> CrossvalSummary | AUSummary:
        """Cross-validation over splits, from their test records (split -> record)."""


class ClassificationReport(TaskReport):
    name = "classification"
    headline = "test/acc"
    headline_label = "accuracy"

    summary_metrics = (("test/acc", "test accuracy"), ("test/acc_macro", "test mean per-class accuracy"))
    per_output = "acc_class"
    absent_words = "classes with no test image (no accuracy, left out of the mean)"

    def summarize_splits(self, records: dict[int, dict]) -> CrossvalSummary:
        return summarize(
            [
                SplitResult(
                    split,
                    r["metrics"]["test/acc"],
                    r["metrics"]["test/acc_macro"],
                    np.array(r["confusion"]),
                    r["class_names"],
                )
                for split, r in records.items()
            ]
        )


class AUDetectionReport(TaskReport):
    name = "au_detection"
    headline = "test/auroc"
    headline_label = "AUROC"  # the mean over AUs

    summary_metrics = (("test/auroc", "test mean AUROC over AUs"), ("test/f1", "test mean F1 over AUs"))
    per_output = "auroc_au"
    absent_words = "AUs without positives or negatives in the test split (no AUROC)"

    def summarize_splits(self, records: dict[int, dict]) -> AUSummary:
        return summarize_aus(records)


REPORTS: dict[str, TaskReport] = {r.name: r for r in (ClassificationReport(), AUDetectionReport())}


def report_of(record: dict, source: str = "the record") -> TaskReport:
    """The report a test record names (records from before the field are classifiers').

    Raises:
        ValueError: it names a report this package does not know.
    """
    name = record.get("report", ClassificationReport.name)
    if name not in REPORTS:
        raise ValueError(f"{source}: names the report {name!r}, not one of {sorted(REPORTS)}")
    return REPORTS[name]
