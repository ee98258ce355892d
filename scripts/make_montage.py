"""A per-class montage of any config's training images: check labels and crops by eye.

    python scripts/make_montage.py --config configs/synthetic.yaml --out docs/images/synthetic_montage.png
    python scripts/make_montage.py --config configs/tfd.yaml --data.path TFD_96x96.mat --out tfd_classes.png
One column per class, images spread evenly over the training split (so, mostly different people), as
the network sees them before normalisation. Extra arguments are fau-train overrides.
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from fau_lightning.cli.common import config_args
from fau_lightning.cli.train import build_config


def montage(images: np.ndarray, targets: np.ndarray, class_names: list[str], rows: int, size: int) -> np.ndarray:
    grid = np.full((rows * size + 18, len(class_names) * size), 255, np.uint8)
    for label, name in enumerate(class_names):
        cv2.putText(grid, name[: size // 8], (label * size + 4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1, cv2.LINE_AA)
        members = np.flatnonzero(targets == label)
        for row, i in enumerate(
            members[np.linspace(0, len(members) - 1, min(rows, len(members))).astype(int)] if len(members) else []
        ):
            face = cv2.resize(images[i], (size, size), interpolation=cv2.INTER_AREA)
            grid[18 + row * size : 18 + (row + 1) * size, label * size : (label + 1) * size] = face
    return grid


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--size", type=int, default=96)
    args, overrides = parser.parse_known_args()
    cli = build_config([*config_args(args.config), *overrides])
    datamodule = cli.datamodule
    datamodule.prepare_data()
    datamodule.setup("fit")
    train = datamodule.datasets["train"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(
        str(args.out),
        montage(train.images.numpy(), train.targets.numpy(), datamodule.class_names, args.rows, args.size),
    )
    print(f"wrote {args.out}", file=sys.stderr)
