"""Prediction throughput on real photographs: faces per second with detection included, measured
against the straightforward script a user would write (detect, crop, classify one face at a time).

    python scripts/benchmark_predict.py                    # CPU, 48 and 96 px, 200 frames
    python scripts/benchmark_predict.py --frames 40        # quicker
    python scripts/benchmark_predict.py --device cuda

Both paths run the same detector settings and the paper's network (its weights do not change the
speed) on the photographs that ship with matplotlib and scikit-image, alternating `--repeats` times
(medians reported, since the machine is shared). Detection alone and classification alone are
timed too, to show where the time goes.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fau_lightning.checkpoint.record import ModelRecord  # noqa: E402
from fau_lightning.inference.faces import PhotoDetector, cut_faces, find_faces  # noqa: E402
from fau_lightning.inference.inputs import Frame, InputFile  # noqa: E402
from fau_lightning.inference.predictor import Predictor, pick_device  # noqa: E402
from fau_lightning.models import WithProbabilities, ZeroBiasCNN  # noqa: E402
from fau_lightning.readers.real_photos import sample_photographs  # noqa: E402

CLASSES = ["neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"]


def photo_frames(count: int) -> list[Frame]:
    """`count` frames cycling through the bundled photographs, each with one face."""
    photos = [(path, cv2.imread(str(path))) for path in sample_photographs().values()]
    return [Frame(InputFile(path, path.name), None, image) for path, image in photos * (count // len(photos) + 1)][
        :count
    ]


def ours(predictor: Predictor, frames: list[Frame], detector: PhotoDetector) -> int:
    return sum(len([p for p in rows if p.box is not None]) for _, rows in predictor.predict(frames, detector))


def one_at_a_time(predictor: Predictor, frames: list[Frame], detector: PhotoDetector) -> int:
    """What a user writes first: per frame, detect, then classify each face on its own."""
    faces = 0
    with torch.inference_mode():
        for frame in frames:
            gray = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
            for face in cut_faces(gray, find_faces(gray, detector), predictor.record.input_size):
                x = torch.from_numpy(face).float().div(255)[None, None].to(predictor.device)
                predictor.network(x).cpu()
                faces += 1
    return faces


def rate(run, *args) -> float:
    start = time.perf_counter()
    faces = run(*args)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return faces / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image_sizes", type=int, nargs="+", default=[48, 96])
    parser.add_argument("--frames", type=int, default=200, help="photographs classified per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternations of the two paths")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    device = pick_device(args.device)
    frames = photo_frames(args.frames)
    detector = PhotoDetector()
    grays = [cv2.cvtColor(f.image, cv2.COLOR_BGR2GRAY) for f in frames]
    rows = []
    for size in args.image_sizes:
        record = ModelRecord(class_names=CLASSES, multi_label=False, input_size=size)
        network = WithProbabilities(ZeroBiasCNN(num_classes=len(CLASSES)), multi_label=False)
        predictor = Predictor(network, record, device, args.batch_size)
        ours(predictor, frames[:4], detector)  # warm-up
        ours_rates, naive_rates = [], []
        for _ in range(args.repeats):
            ours_rates.append(rate(ours, predictor, frames, detector))
            naive_rates.append(rate(one_at_a_time, predictor, frames, detector))
        start = time.perf_counter()
        boxes = [find_faces(gray, detector) for gray in grays]
        detect_rate = sum(map(len, boxes)) / (time.perf_counter() - start)
        faces = np.concatenate([cut_faces(gray, b, size) for gray, b in zip(grays, boxes, strict=True)])
        start = time.perf_counter()
        predictor.classify(faces)
        classify_rate = len(faces) / (time.perf_counter() - start)
        row = {
            "size": size,
            "ours": statistics.median(ours_rates),
            "naive": statistics.median(naive_rates),
            "detect": detect_rate,
            "classify": classify_rate,
        }
        rows.append(row)
    print(
        f"Prediction throughput on {device} ({torch.get_num_threads()} threads), {args.frames} photographs, "
        f"faces per second, median of {args.repeats}:\n"
    )
    print(
        "| input | fau-predict path (batched) | one face at a time | ratio | detection alone | classification alone |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['size']} | {r['ours']:.1f} | {r['naive']:.1f} | {r['ours'] / r['naive']:.2f} | "
            f"{r['detect']:.1f} | {r['classify']:.1f} |"
        )
    return rows


if __name__ == "__main__":
    main()
