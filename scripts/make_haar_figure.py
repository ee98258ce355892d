"""Draw the README's figure of the Haar face crop on real photographs that ship with Python packages.

    python scripts/make_haar_figure.py --out docs/images/haar_real_photos.png
Each photograph with the detected face (the paper's detector with minSize lowered to 0.15 of the short
side, since these faces are smaller than in CK+'s frames), and the 96x96 crop the network would see.
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.readers.face_crop import CropSettings, crop_face, detect_face
from fau_lightning.readers.real_photos import sample_photographs

SETTINGS = CropSettings(method="haar", size=96, haar_min_size=0.15)


def panel(gray: np.ndarray, height: int = 256) -> np.ndarray:
    box = detect_face(gray, SETTINGS)
    scale = height / gray.shape[0]
    shown = cv2.cvtColor(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), cv2.COLOR_GRAY2BGR)
    if box is not None:
        x, y, w, h = (int(round(v * scale)) for v in box)
        cv2.rectangle(shown, (x, y), (x + w, y + h), (0, 200, 0), 2)
    face = cv2.cvtColor(
        cv2.resize(crop_face(gray, SETTINGS).image, (height // 2, height // 2), interpolation=cv2.INTER_NEAREST),
        cv2.COLOR_GRAY2BGR,
    )
    column = np.full((height, height // 2, 3), 255, np.uint8)
    column[: height // 2] = face
    return np.concatenate([shown, column, np.full((height, 8, 3), 255, np.uint8)], axis=1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/images/haar_real_photos.png"))
    args = parser.parse_args()
    panels = [panel(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)) for path in sample_photographs().values()]
    cv2.imwrite(str(args.out), np.concatenate(panels, axis=1))
    print(f"wrote {args.out}")
