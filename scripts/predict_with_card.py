"""Classify faces with an exported ONNX model and its model card alone: numpy, OpenCV and onnxruntime,
no fau_lightning. It follows the card's `preprocessing.steps` and prints one JSON line per face, as
`fau-predict --format jsonl` does; a test holds the two to 1e-4 on real photographs.

    python scripts/predict_with_card.py model.onnx photo.jpg [more images ...]

Copy it into your own project as the reference for preparing faces for the model.

The card is checked first: its `card_sha256` must be the sha256 of its own JSON without that field
(keys sorted, no spaces) and its `model_sha256` that of the model file, so an edited card, or a card
beside another model, is refused in one line rather than followed.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime


def step(card: dict, name: str) -> dict:
    return next(s for s in card["preprocessing"]["steps"] if s["step"] == name)


def face_boxes(gray: np.ndarray, card: dict) -> list[tuple[int, int, int, int]]:
    """The "detect" and "square" steps: square boxes (x0, y0, x1, y1), in the card's order."""
    detect = step(card, "detect")
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + detect["cascade"])
    short = min(gray.shape)
    smallest = max(int(detect["min_face_share"] * short), 1)
    largest = int(detect["max_face_share"] * short)
    found = cascade.detectMultiScale(
        gray,
        scaleFactor=detect["scale_factor"],
        minNeighbors=detect["min_neighbors"],
        minSize=(smallest, smallest),
        maxSize=(largest, largest),
    )
    boxes = []
    for x, y, w, h in sorted(tuple(int(v) for v in box) for box in found):
        side = max(w, h)
        x0, y0 = x - (side - w) // 2, y - (side - h) // 2
        boxes.append((x0, y0, x0 + side, y0 + side))
    return boxes


def model_input(gray: np.ndarray, box: tuple[int, int, int, int], card: dict) -> np.ndarray:
    """The "cut", "resize" and "scale" steps: one (size, size) float32 face."""
    x0, y0, x1, y1 = box
    height, width = gray.shape
    pad = max(0, -x0, -y0, x1 - width, y1 - height)
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, getattr(cv2, step(card, "cut")["border"]))
    resize = step(card, "resize")
    face = cv2.resize(
        gray[y0 + pad : y1 + pad, x0 + pad : x1 + pad],
        (resize["size"], resize["size"]),
        interpolation=getattr(cv2, resize["interpolation"]),
    )
    return face.astype(np.float32) / np.float32(step(card, "scale")["divide_by"])


def fail(message: str) -> None:
    print(f"predict_with_card: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def checked_card(model_path: Path) -> dict:
    """The card beside `model_path`, once both checksums hold."""
    card_path = Path(f"{model_path}.card.json")
    card = json.loads(card_path.read_text())
    stated = card.pop("card_sha256", None)
    content = json.dumps(card, sort_keys=True, separators=(",", ":")).encode()
    if stated is None or hashlib.sha256(content).hexdigest() != stated:
        fail(f"{card_path}: changed since fau-export wrote it (its checksum differs); export the model again")
    if hashlib.sha256(model_path.read_bytes()).hexdigest() != card.get("model_sha256"):
        fail(f"{card_path}: written for another model file than {model_path} (the model's checksum differs)")
    return card


def predict(model_path: Path, images: list[str]) -> list[dict]:
    card = checked_card(model_path)
    if int(cv2.__version__.split(".")[0]) != card["preprocessing"]["opencv_major"]:
        print(f"warning: the card was written with OpenCV {card['preprocessing']['opencv_version']}", file=sys.stderr)
    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    rows = []
    for path in images:
        gray = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
        boxes = face_boxes(gray, card)
        if not boxes:
            rows.append({"input": path, "status": "no face"})
            continue
        batch = np.stack([model_input(gray, box, card) for box in boxes])[:, None]  # NCHW
        (probabilities,) = session.run([card["output"]["name"]], {card["input"]["name"]: batch})
        for number, (box, p) in enumerate(zip(boxes, probabilities)):
            rows.append(
                {
                    "input": path,
                    "face": number,
                    "box": list(box),
                    "predicted": card["class_names"][int(np.argmax(p))],
                    "probabilities": dict(zip(card["class_names"], p.tolist())),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path, help="an ONNX file written by fau-export, its card beside it")
    parser.add_argument("images", nargs="+", help="image files")
    args = parser.parse_args()
    for row in predict(args.model, args.images):
        print(json.dumps(row))
    assert "fau_lightning" not in sys.modules  # the card alone was enough


if __name__ == "__main__":
    main()
