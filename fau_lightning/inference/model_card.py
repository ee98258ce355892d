"""The model card written beside an export: every step from a photograph to the model's input, what
the model returns, what it was trained on and how it scored, as JSON (for tools) and Markdown (for
people).

The steps are those `fau-predict` runs with its default settings, stated with OpenCV's own names and
the constants the code itself uses, so that numpy, OpenCV and onnxruntime alone reproduce its
probabilities (`scripts/predict_with_card.py` does, and a test holds it to 1e-4).
"""

import json
import math
from pathlib import Path

import cv2

from fau_lightning.checkpoint.record import SYNTHETIC_WARNING, ModelRecord
from fau_lightning.files import file_sha256, json_sha256, write_atomically, write_json_atomically
from fau_lightning.inference.export import INPUT_NAME, OUTPUT_NAME
from fau_lightning.inference.faces import PhotoDetector
from fau_lightning.readers.face_crop import BORDER, HAAR_CASCADE, INTERPOLATION

# The training crop's settings that applied under each method (the rest of CropSettings did not).
CROP_SETTINGS_USED = {
    "haar": ("haar_scale_factor", "haar_min_neighbors", "haar_min_size", "haar_max_size"),
    "landmarks": ("landmark_margin",),
    "none": (),
}


def card_paths(export_path: Path) -> tuple[Path, Path]:
    """(JSON, Markdown) beside the export: model.onnx -> model.onnx.card.json, model.onnx.card.md."""
    return export_path.with_name(f"{export_path.name}.card.json"), export_path.with_name(f"{export_path.name}.card.md")


def _plain(value):
    """NaN (a class with no test image) as None, so the JSON is standard."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def preparation_steps(size: int, detector: PhotoDetector = PhotoDetector()) -> list[dict]:
    """Photograph -> (batch, 1, size, size) float32, step by step, as `fau-predict` does it by default."""
    return [
        {"step": "read", "opencv": "cv2.imread(path, cv2.IMREAD_COLOR)", "result": "BGR uint8, (H, W, 3)"},
        {"step": "grayscale", "opencv": "cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)", "result": "uint8, (H, W)"},
        {
            "step": "detect",
            "opencv": "cv2.CascadeClassifier(cv2.data.haarcascades + cascade).detectMultiScale(gray, ...)",
            "cascade": HAAR_CASCADE,
            "scale_factor": detector.scale_factor,
            "min_neighbors": detector.min_neighbors,
            "min_face_share": detector.min_face,
            "max_face_share": detector.max_face,
            "sizes": "minSize = (m, m), m = max(int(min_face_share * min(H, W)), 1); "
            "maxSize = (M, M), M = int(max_face_share * min(H, W))",
            "result": "faces as (x, y, w, h), sorted ascending by (x, y, w, h): face 0, 1, ... left to right",
        },
        {
            "step": "square",
            "rule": "side = max(w, h); x0 = x - (side - w) // 2; y0 = y - (side - h) // 2; "
            "box = (x0, y0, x0 + side, y0 + side) (Haar's boxes are square already: w == h)",
        },
        {
            "step": "cut",
            "border": BORDER,
            "rule": "pad = max(0, -x0, -y0, x1 - W, y1 - H); where pad > 0, "
            "gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.<border>); "
            "face = gray[y0 + pad : y1 + pad, x0 + pad : x1 + pad]",
        },
        {
            "step": "resize",
            "opencv": "cv2.resize(face, (size, size), interpolation=cv2.<interpolation>)",
            "size": size,
            "interpolation": INTERPOLATION,
        },  # fmt: skip
        {"step": "scale", "rule": "face.astype(float32) / divide_by", "divide_by": 255.0, "result": "values in [0, 1]"},
        {"step": "batch", "layout": "NCHW", "shape": ["batch", 1, size, size], "dtype": "float32", "input": INPUT_NAME},
    ]


def model_card(record: ModelRecord, architecture: dict, export_path: Path, export_format: str, parity: float | None):
    """The card's content as one dict."""
    size = record.input_size
    outputs = "a sigmoid per label (labels are independent)" if record.multi_label else "a softmax over the classes"
    crop = record.face_crop
    used = CROP_SETTINGS_USED.get(crop.get("method"), ())
    return _plain(
        {
            "model": "zero-bias CNN (Khorrami, Paine & Huang, 2015), fau_lightning",
            "file": export_path.name,
            "format": export_format,
            "input": {"name": INPUT_NAME, "shape": ["batch", 1, size, size], "dtype": "float32"},
            "output": {"name": OUTPUT_NAME, "shape": ["batch", len(record.class_names)], "meaning": outputs},
            "class_names": record.class_names,
            "preprocessing": {
                "opencv_version": cv2.__version__,
                "opencv_major": int(cv2.__version__.split(".")[0]),
                "steps": preparation_steps(size),
                "settings": "fau-predict's defaults; its --min_face and --min_neighbors change the detect step",
                "without_detection": "fau-predict --no_detect: box = the image's centred square, side min(H, W) "
                "(--pad: max(H, W)); then cut, resize, scale and batch as above",
                "inside_the_model": record.normalisation,
            },
            "training_face_crop": {"method": crop.get("method", "unknown")} | {k: crop[k] for k in used if k in crop},
            "architecture": architecture,
            "training_data": record.training_data,
            "test": record.test,
            "seed": record.seed,
            "package_version": record.package_version,
            "parity_max_abs_difference": parity,
            "warnings": [SYNTHETIC_WARNING] if record.synthetic else [],
        }
    )


def _step_line(step: dict) -> str:
    details = [f"{k}: `{v}`" for k, v in step.items() if k != "step"]
    return f"**{step['step']}**: " + "; ".join(details)


def card_markdown(card: dict) -> str:
    """The card for people."""
    size = card["input"]["shape"][-1]
    preprocessing = card["preprocessing"]
    lines = [f"# Model card: {card['file']}", ""]
    lines += [f"**Warning:** {w}." for w in card["warnings"]] + ([""] if card["warnings"] else [])
    lines += [
        f"{card['model']}, exported as {card['format']}.",
        "",
        "## Input and output",
        f"- Input `{card['input']['name']}`: (batch, 1, {size}, {size}) float32: {preprocessing['inside_the_model']}.",
        f"- Output `{card['output']['name']}`: (batch, {len(card['class_names'])}), {card['output']['meaning']}.",
        f"- Classes, in output order: {', '.join(card['class_names'])}.",
        "",
        "## From a photograph to the input",
        f"As `fau-predict` does it, with OpenCV {preprocessing['opencv_version']} ({preprocessing['settings']}):",
        "",
        *[f"{n}. {_step_line(step)}" for n, step in enumerate(preprocessing["steps"], 1)],
        "",
        f"Whole images: {preprocessing['without_detection']}.",
        "",
        "## Training",
        f"- Training faces were cropped with (history; prediction uses the steps above): "
        f"{json.dumps(card['training_face_crop'])}.",
        f"- Data: {json.dumps(card['training_data']) if card['training_data'] else 'not recorded'}.",
        f"- Seed: {card['seed'] if card['seed'] is not None else 'not recorded'}; "
        f"fau_lightning {card['package_version']}.",
        f"- Architecture: {json.dumps(card['architecture'])}.",
        "",
        "## Test metrics",
    ]
    test = card["test"]
    if test:
        lines.append(f"On {test['split']}:")
        lines += ["", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {'n/a' if v is None else f'{v:.4f}'} |" for k, v in sorted(test["metrics"].items())]
    else:
        lines.append("Not recorded (the checkpoint was not tested at the end of its training run).")
    parity = card["parity_max_abs_difference"]
    lines += [
        "",
        "## Export check",
        f"Largest absolute difference from PyTorch on random input: {parity:.2e}."
        if parity is not None
        else "Not checked (onnxruntime is not installed).",
        "",
    ]
    return "\n".join(lines)


def sealed(card: dict, export_path: Path) -> dict:
    """The card with the sha256 of the model file it describes (`model_sha256`) and of its own content
    (`card_sha256`: `files.json_sha256` of the card without that field), so that a reader can tell a card
    that was edited, or that lies beside another model, from the one fau-export wrote.
    """
    card = {**card, "model_sha256": file_sha256(export_path)}
    return {**card, "card_sha256": json_sha256(card)}


def write_model_card(card: dict, export_path: Path) -> tuple[Path, Path]:
    """Write the card beside the export, sealed (`sealed`) to it, as JSON and Markdown."""
    json_path, md_path = card_paths(export_path)
    card = sealed(card, export_path)
    write_json_atomically(json_path, card)
    write_atomically(md_path, lambda f: f.write(card_markdown(card).encode()))
    return json_path, md_path
