"""`fau-export CHECKPOINT --output model.onnx`: the trained network as ONNX (dynamic batch) or
TorchScript, checked against PyTorch, with a model card beside it.

    fau-export runs/.../best.ckpt --output model.onnx      # ONNX
    fau-export runs/.../best.ckpt --output model.pt        # TorchScript (.pt, .pth or .ts)

The format follows the file's suffix. Writes the model and, beside it, `<file>.card.json` and
`<file>.card.md`: every step from a photograph to the model's input, class order, training data,
test metrics, seed and package version.
"""

import argparse
import sys
from pathlib import Path

from fau_lightning.checkpoint.record import SYNTHETIC_WARNING
from fau_lightning.cli.common import CommandParser, exit_on_input_error, output_path
from fau_lightning.errors import SettingError
from fau_lightning.inference.export import FORMAT_OF_SUFFIX, ExportFormat, export_network, parity
from fau_lightning.inference.model_card import model_card, write_model_card
from fau_lightning.inference.predictor import Predictor
from fau_lightning.models.factory import spec_from_arguments

PARITY_TOLERANCE = 1e-4


def export_format(path: Path, asked: ExportFormat | None) -> ExportFormat:
    """The format to write: the one `--format` names, else the one the file's suffix names.

    Raises:
        SettingError: `--format` contradicts the suffix, or neither names a format.
    """
    implied = FORMAT_OF_SUFFIX.get(path.suffix.lower())
    if asked is not None and implied is not None and asked != implied:
        raise SettingError(f"--format {asked}: contradicts --output {path}, whose suffix means {implied}")
    if asked is None and implied is None:
        suffixes = ", ".join(FORMAT_OF_SUFFIX)
        raise SettingError(
            f"--output {path}: its suffix names no format ({suffixes}); give --format onnx or torchscript"
        )
    return asked or implied


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = CommandParser("fau-export", __doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a checkpoint written by fau-train")
    parser.add_argument(
        "--output",
        type=Path,
        required=True,
        help="the exported file: model.onnx (ONNX) or model.pt/.pth/.ts (TorchScript)",
    )
    parser.add_argument(
        "--format",
        choices=["onnx", "torchscript"],
        default=None,
        help="what to export to (default: from --output's suffix); must agree with the suffix where it names one",
    )
    parser.add_argument("--image_size", type=int, default=None, help="input side, for checkpoints not recording it")
    parser.add_argument(
        "--class_names", default=None, help="comma-separated class names, for checkpoints that do not record them"
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    output_path(args.output, "--output")
    args.format = export_format(args.output, args.format)
    names = args.class_names.split(",") if args.class_names else None
    predictor = Predictor.from_checkpoint(args.checkpoint, "cpu", image_size=args.image_size, class_names=names)
    record = predictor.record
    if record.synthetic:
        print(f"fau-export: warning: {SYNTHETIC_WARNING} (the model card says so too)", file=sys.stderr)
    export_network(predictor.network, record.input_size, args.output, args.format)
    difference = parity(predictor.network, args.output, args.format, record.input_size)
    if difference is not None and difference > PARITY_TOLERANCE:
        args.output.unlink()
        raise SettingError(
            f"{args.output}: the export differs from PyTorch by {difference:.2e} (> {PARITY_TOLERANCE}); not kept"
        )
    spec = spec_from_arguments(predictor.hyperparameters, weights=False)
    architecture = {"network": spec.name, "in_channels": spec.in_channels, **spec.options}
    architecture["parameters"] = sum(p.numel() for p in predictor.network.parameters())
    card = model_card(record, architecture, args.output, args.format, difference)
    json_card, md_card = write_model_card(card, args.output)
    check = f"max abs difference from PyTorch {difference:.1e}" if difference is not None else "not checked"
    print(f"exported {args.format}: {args.output} ({check}); model card: {md_card}, {json_card}")
    return args.output


def main(argv: list[str] | None = None) -> None:
    """The `fau-export` console script."""
    exit_on_input_error("fau-export", lambda: run(argv), flags={"export_format": "--format"})


if __name__ == "__main__":
    main()
