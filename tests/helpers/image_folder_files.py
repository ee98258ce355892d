"""Tiny folder-per-class image sets, with the stray files real folders hold."""

from pathlib import Path

import cv2
import numpy as np


def write_folder(root: Path, counts: dict[str, int], suffix: str = ".png") -> None:
    rng = np.random.default_rng(0)
    for name, count in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            size = (40 + i, 30 + 2 * i, 3) if i % 2 else (36, 36)
            cv2.imwrite(str(root / name / f"img{i:03d}{suffix}"), rng.integers(0, 255, size, dtype=np.uint8))
        (root / name / ".DS_Store").write_bytes(b"\0")
        (root / name / "notes.txt").write_text("not an image")
