"""Tiny FER2013 CSV files."""

from pathlib import Path

import numpy as np


def row(label: int | str, usage: str = "Training", pixels: str | None = None, seed: int = 0) -> str:
    if pixels is None:
        pixels = " ".join(str(v) for v in np.random.default_rng(seed).integers(0, 256, 48 * 48))
    return f"{label},{pixels},{usage}\n"


def write_csv(path: Path, rows: list[str], header: str = "emotion,pixels,Usage\n") -> Path:
    path.write_text(header + "".join(rows))
    return path
