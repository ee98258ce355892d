"""Write tiny CK+ trees in the real layout and formats, with whatever quirk a test needs."""

from pathlib import Path

import cv2
import numpy as np


def float_line(*values: float) -> str:
    return "".join(f"{v:16.7e}" for v in values) + "\n"


def write_sequence(
    root: Path,
    subject: str,
    seq: str,
    frames: int = 5,
    emotion: int | None = 5,
    aus: dict[int, int] | None = None,
    size: tuple[int, int] = (64, 48),
    rgb: bool = False,
    emotion_dir: str = "Emotion",
    facs_dir: str = "FACS",
    landmarks: bool = True,
    emotion_text: str | None = None,
) -> list[Path]:
    """One sequence; returns its frame paths. `emotion=None` leaves an empty Emotion folder."""
    rng = np.random.default_rng(abs(hash((subject, seq))) % 2**32)
    img_dir = root / "cohn-kanade-images" / subject / seq
    dirs = [
        img_dir,
        root / emotion_dir / subject / seq,
        root / facs_dir / subject / seq,
        root / "Landmarks" / subject / seq,
    ]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    paths = []
    w, h = size
    for t in range(1, frames + 1):
        stem = f"{subject}_{seq}_{t:08d}"
        pixels = rng.integers(0, 255, (h, w, 3) if rgb else (h, w), dtype=np.uint8)
        cv2.imwrite(str(img_dir / f"{stem}.png"), pixels)
        paths.append(img_dir / f"{stem}.png")
        if landmarks:
            pts = np.stack([np.linspace(w * 0.3, w * 0.7, 68), np.linspace(h * 0.3, h * 0.7, 68)], axis=1)
            (dirs[3] / f"{stem}_landmarks.txt").write_text("".join(float_line(x, y) for x, y in pts))
    peak = f"{subject}_{seq}_{frames:08d}"
    if aus:
        (dirs[2] / f"{peak}_facs.txt").write_text("".join(float_line(a, i) for a, i in aus.items()))
    if emotion is not None or emotion_text is not None:
        (dirs[1] / f"{peak}_emotion.txt").write_text(emotion_text if emotion_text is not None else float_line(emotion))
    return paths
