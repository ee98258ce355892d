"""The model card written beside an export: what the model takes, returns, was trained on and scored,
as JSON (for tools) and Markdown (for people).
"""

import json
import math
from pathlib import Path

from fau_lightning.atomic import write_atomically, write_json_atomically
from fau_lightning.inference.model_record import SYNTHETIC_WARNING, ModelRecord

PHOTO_PREPARATION = (
    "fau-predict finds each face with OpenCV's Haar frontal-face detector, cuts its square box, converts "
    "it to grayscale and resizes it to the input size"
)


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


def model_card(record: ModelRecord, architecture: dict, export_path: Path, export_format: str, parity: float | None):
    """The card's content as one dict."""
    size = record.input_size
    outputs = "a sigmoid per label (labels are independent)" if record.multi_label else "a softmax over the classes"
    return _plain(
        {
            "model": "zero-bias CNN (Khorrami, Paine & Huang, 2015), fau_lightning",
            "file": export_path.name,
            "format": export_format,
            "input": {"name": "images", "shape": ["batch", 1, size, size], "dtype": "float32"},
            "output": {"name": "probabilities", "shape": ["batch", len(record.class_names)], "meaning": outputs},
            "class_names": record.class_names,
            "preprocessing": {
                "normalisation": record.normalisation,
                "training_face_crop": record.face_crop,
                "photographs": PHOTO_PREPARATION,
            },
            "architecture": architecture,
            "training_data": record.training_data,
            "test": record.test,
            "seed": record.seed,
            "package_version": record.package_version,
            "parity_max_abs_difference": parity,
            "warnings": [SYNTHETIC_WARNING] if record.synthetic else [],
        }
    )


def card_markdown(card: dict) -> str:
    """The card for people."""
    size = card["input"]["shape"][-1]
    lines = [f"# Model card: {card['file']}", ""]
    lines += [f"**Warning:** {w}." for w in card["warnings"]] + ([""] if card["warnings"] else [])
    lines += [
        f"{card['model']}, exported as {card['format']}.",
        "",
        "## Input and output",
        f"- Input `images`: (batch, 1, {size}, {size}) float32, {card['preprocessing']['normalisation']}.",
        f"- Output `probabilities`: (batch, {len(card['class_names'])}), {card['output']['meaning']}.",
        f"- Classes, in output order: {', '.join(card['class_names'])}.",
        "",
        "## Preparing a face",
        f"- Photographs: {card['preprocessing']['photographs']}.",
        f"- Training faces were cropped with: {json.dumps(card['preprocessing']['training_face_crop'])}.",
        "",
        "## Training",
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


def write_model_card(card: dict, export_path: Path) -> tuple[Path, Path]:
    json_path, md_path = card_paths(export_path)
    write_json_atomically(json_path, card)
    write_atomically(md_path, lambda f: f.write(card_markdown(card).encode()))
    return json_path, md_path
