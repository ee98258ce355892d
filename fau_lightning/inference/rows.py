"""Prediction rows written as CSV or JSON lines, through a temporary file renamed into place when
complete, so an interrupted run leaves no half-written file under the final name.
"""

import csv
import json
import os
from pathlib import Path
from typing import Literal

import numpy as np

from fau_lightning.errors import SettingError
from fau_lightning.files import temporary_path

RowFormat = Literal["csv", "jsonl"]
THRESHOLD = 0.5  # a multi-label output is predicted present at or above this probability


def present_labels(class_names: list[str], values) -> str:
    """The labels whose value is at or above 0.5, space-separated (multi-label outputs and targets)."""
    return " ".join(name for name, value in zip(class_names, values, strict=True) if value >= THRESHOLD)


def class_columns(class_names: list[str], probabilities: np.ndarray, multi_label: bool) -> dict:
    """The predicted class (or, multi-label, the labels at or above 0.5, space-separated) and, under
    "probabilities", one probability per class name.
    """
    if multi_label:
        predicted = present_labels(class_names, probabilities)
    else:
        predicted = class_names[int(np.argmax(probabilities))]
    rounded = {name: round(float(p), 6) for name, p in zip(class_names, probabilities, strict=True)}
    return {"predicted": predicted, "probabilities": rounded}


class RowWriter:
    """Rows into `path`: CSV with a header (the columns, then a probability column per class name), or
    one JSON object a line (the columns, then the probabilities nested under "probabilities").

    Use as a context manager: the file appears under its name only when the block completes.
    """

    def __init__(
        self, path: str | os.PathLike, columns: list[str], class_names: list[str], row_format: RowFormat = "csv"
    ) -> None:
        if row_format not in ("csv", "jsonl"):
            raise SettingError(f"must be csv or jsonl, got {row_format!r}", "row_format")
        clash = sorted(set(columns) & set(class_names))
        if row_format == "csv" and clash:
            raise SettingError(f"class names {clash} clash with the CSV's other columns; write jsonl", "row_format")
        self.path = Path(path)
        self.columns = columns
        self.class_names = class_names
        self.row_format = row_format
        self.rows = 0

    def __enter__(self) -> "RowWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = temporary_path(self.path)
        self._file = open(self._tmp, "w", newline="")
        if self.row_format == "csv":
            self._csv = csv.DictWriter(self._file, fieldnames=self.columns + self.class_names)
            self._csv.writeheader()
        return self

    def write(self, row: dict) -> None:
        """One row: the columns' values (None: empty) and, where there is a prediction, "probabilities"."""
        probabilities = row.get("probabilities") or {}
        if self.row_format == "csv":
            flat = {c: row.get(c) for c in self.columns} | probabilities
            self._csv.writerow({k: "" if v is None else v for k, v in flat.items()})
        else:
            nested = {c: row.get(c) for c in self.columns} | {"probabilities": row.get("probabilities")}
            self._file.write(json.dumps(nested) + "\n")
        self.rows += 1

    def __exit__(self, kind, error, trace) -> None:
        self._file.close()
        try:
            if kind is None:
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)
