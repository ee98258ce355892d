"""`fau-predict CHECKPOINT INPUT... --output predictions.csv`: classify every face in photos, folders
and videos with a trained model.

    fau-predict runs/.../best.ckpt photos/ clip.mp4 --output predictions.csv [--annotate annotated/]

The checkpoint says how faces are prepared (input size, crop, normalisation) and what the classes
are; no config is needed. Each image and each `--every`-th video frame gives one row per face:
input (the path as given), frame, time_s, face number, status, box, predicted class and one
probability per class (CSV columns, or nested under "probabilities" in JSON lines). A frame without
a face gives one "no face" row; `--no_detect` classifies each image's centred square instead.
"""

import argparse
import sys
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

from tqdm import tqdm

from fau_lightning.cli.common import CommandParser, exit_on_input_error, output_path
from fau_lightning.errors import SettingError
from fau_lightning.inference.annotate import Annotator, copy_of, label_text
from fau_lightning.inference.expression_model import ROW_COLUMNS, ExpressionModel, usage_notes
from fau_lightning.inference.faces import PhotoDetector
from fau_lightning.inference.inputs import InputFile, list_inputs, read_frames
from fau_lightning.inference.predictor import Predictor
from fau_lightning.inference.rows import RowWriter


def predict_files(model: ExpressionModel, inputs: list[InputFile], args: argparse.Namespace) -> Counter:
    """Write every row (and annotated copy); returns the images and video frames read and the rows of each status."""
    counts: Counter = Counter()
    frames = (frame for source in inputs for frame in read_frames(source, args.every))
    annotator = Annotator(args.annotate, args.every, args.annotate_frames) if args.annotate else nullcontext()
    with (
        RowWriter(args.output, ROW_COLUMNS, model.class_names, args.format) as writer,
        annotator,
        tqdm(total=len(inputs), unit="file", desc="fau-predict", disable=None, file=sys.stderr) as progress,
    ):
        last_source = None
        for frame, rows in model.predict_frames(frames):
            if frame.source is not last_source:
                progress.update(last_source is not None)
                last_source = frame.source
            if frame.image is not None:
                counts["video frames" if frame.index is not None else "images"] += 1
            for row in rows:
                writer.write(row)
                counts[row["status"]] += 1
            if args.annotate:
                annotator.add(
                    frame, [((r["x0"], r["y0"], r["x1"], r["y1"]), label_text(r)) for r in rows if r["x0"] is not None]
                )
        progress.update(last_source is not None)
    return counts


def summary_line(counts: Counter, args: argparse.Namespace) -> str:
    """What the run read and found, e.g. "read 2 image(s) and 40 video frame(s); 41 face(s) classified; ..."."""
    faces = counts["face"] + counts["whole image"]
    return (
        f"read {counts['images']} image(s) and {counts['video frames']} video frame(s); {faces} face(s) classified; "
        f"{counts['no face']} image(s) or frame(s) without a face; {counts['unreadable']} unreadable; "
        f"rows in {args.output}" + (f"; annotated copies in {args.annotate}" if args.annotate else "")
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = CommandParser("fau-predict", __doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a checkpoint written by fau-train")
    parser.add_argument(
        "inputs", nargs="+", help="image files (any format OpenCV reads), folders (searched recursively), video files"
    )
    parser.add_argument("--output", type=Path, default=None, help="where the rows go (default: predictions.<format>)")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="CSV with a header, or JSON lines")
    parser.add_argument("--every", type=int, default=1, help="videos: classify every Nth frame (frames 0, N, 2N, ...)")
    parser.add_argument(
        "--no_detect", action="store_true", help="no face detection: classify each image's centred square"
    )
    parser.add_argument(
        "--pad", action="store_true", help="with --no_detect: fit the whole image into the square, border repeated"
    )
    parser.add_argument(
        "--min_face",
        type=float,
        default=PhotoDetector.min_face,
        help="smallest face found, as a share of the short side",
    )
    parser.add_argument(
        "--min_neighbors", type=int, default=PhotoDetector.min_neighbors, help="Haar detections needed per face"
    )
    parser.add_argument(
        "--annotate",
        type=Path,
        default=None,
        metavar="DIR",
        help="write copies with boxes and labels here, mirroring each input's path (videos as videos)",
    )
    parser.add_argument(
        "--annotate_frames", action="store_true", help="with --annotate: also each video frame as a PNG"
    )
    parser.add_argument("--batch_size", type=int, default=64, help="faces classified at once")
    parser.add_argument(
        "--device", default="auto", help="auto (a CUDA GPU if present, else the CPU), cpu, cuda, cuda:1, ..."
    )
    parser.add_argument(
        "--image_size", type=int, default=None, help="input size, for checkpoints that do not record it"
    )
    parser.add_argument(
        "--class_names", default=None, help="comma-separated class names, for checkpoints that do not record them"
    )
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error(f"--every: must be at least 1, got {args.every}")
    if args.batch_size < 1:
        parser.error(f"--batch_size: must be at least 1, got {args.batch_size}")
    if args.pad and not args.no_detect:
        parser.error("--pad: applies only with --no_detect (detected faces are cut square already)")
    if args.annotate_frames and not args.annotate:
        parser.error("--annotate_frames: needs --annotate DIR")
    args.output = args.output or Path(f"predictions.{args.format}")
    return args


def outputs_apart_from_inputs(inputs: list[InputFile], output: Path, annotate: Path | None) -> None:
    """Refuse, before any work, an output that would be written over an input, and two inputs whose
    annotated copies would be one file (`../x/a.jpg` and `_up/x/a.jpg` mirror alike).

    Raises:
        SettingError: naming the flag, the input and the file they would share.
    """
    given = {f.path.resolve(): f.shown_as for f in inputs if f.path is not None}
    if output.resolve() in given:
        raise SettingError(f"--output {output}: is the input {given[output.resolve()]}; give another file")
    if annotate is None:
        return
    copies: dict[Path, str] = {}
    for source in inputs:
        copy = copy_of(annotate, source).resolve()
        if copy in given:
            raise SettingError(
                f"--annotate {annotate}: the copy of {source.shown_as} would be written over the input "
                f"{given[copy]}; give a folder apart from the inputs"
            )
        if copy in copies:
            raise SettingError(
                f"--annotate {annotate}: {copies[copy]} and {source.shown_as} would both be copied to {copy}; "
                "give them in separate runs or under other names"
            )
        copies[copy] = source.shown_as


def run(argv: list[str] | None = None) -> Counter:
    args = parse_args(argv)
    inputs = list_inputs(args.inputs)
    if not inputs:
        raise SettingError(f"{', '.join(args.inputs)}: no image or video file found (nothing to classify)")
    output_path(args.output, "--output")
    if args.annotate is not None:
        output_path(args.annotate, "--annotate", folder=True)
    outputs_apart_from_inputs(inputs, args.output, args.annotate)
    names = args.class_names.split(",") if args.class_names else None
    predictor = Predictor.from_checkpoint(args.checkpoint, args.device, args.batch_size, args.image_size, names)
    model = ExpressionModel(predictor, not args.no_detect, args.min_face, args.min_neighbors, args.pad)
    for note, category in usage_notes(predictor.record):
        print(f"fau-predict: {'note' if category is UserWarning else 'warning'}: {note}", file=sys.stderr)
    counts = predict_files(model, inputs, args)
    print(summary_line(counts, args))
    return counts


def main(argv: list[str] | None = None) -> None:
    """The `fau-predict` console script."""
    exit_on_input_error("fau-predict", lambda: run(argv), flags={"row_format": "--format"})


if __name__ == "__main__":
    main()
