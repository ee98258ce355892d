"""Draw the README's montage of the built-in dataset: one column per class, one row per subject.

    python scripts/make_montage.py --root data/synthetic_ck_plus --out docs/images/synthetic_montage.png
Images are the 96x96 face crops the network sees (first frame = neutral, last frame = the emotion).
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.data.ck_plus import read_layout
from fau_lightning.data.face_crop import CropSettings
from fau_lightning.data.labels import CK_EMOTIONS
from fau_lightning.data.preprocess import load_or_build


def montage(root: Path, rows: int, size: int) -> np.ndarray:
    faces, _ = load_or_build(read_layout(root), CropSettings(method="landmarks", size=size), root / ".fau_cache", {"last_frames": 3})
    grid = np.full(((rows * size) + 18, len(CK_EMOTIONS) * size), 255, np.uint8)
    seq_key = np.char.add(faces.subject, faces.sequence)
    last_of_sequence = np.r_[seq_key[1:] != seq_key[:-1], True]
    for code, name in enumerate(CK_EMOTIONS):
        cv2.putText(grid, name, (code * size + 4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1, cv2.LINE_AA)
        # neutral: first frames; emotions: the last (peak) frame; one image per subject
        picks = np.flatnonzero((faces.emotion == code) & (last_of_sequence | (code == 0)))
        _, first_per_subject = np.unique(faces.subject[picks], return_index=True)
        for row, i in enumerate(picks[np.sort(first_per_subject)][:rows]):
            grid[18 + row * size : 18 + (row + 1) * size, code * size : (code + 1) * size] = faces.images[i]
    return grid


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("data/synthetic_ck_plus"))
    parser.add_argument("--out", type=Path, default=Path("docs/images/synthetic_montage.png"))
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--size", type=int, default=96)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), montage(args.root, args.rows, args.size))
    print(f"wrote {args.out}")
