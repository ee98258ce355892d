"""`fau-predict CHECKPOINT INPUT... --output predictions.csv`: classify every face in photos, folders
and videos with a trained model.

    fau-predict runs/.../best.ckpt photos/ clip.mp4 --output predictions.csv [--annotate annotated/]

The checkpoint says how faces are prepared (input size, crop, normalisation) and what the classes
are; no config is needed. Each image and each `--every`-th video frame gives one row per face:
input, frame, face number, status, box, predicted class and one probability column per class.
A frame without a face gives one "no face" row; `--no-detect` classifies whole images instead.
"""

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from fau_lightning.cli.common import exit_on_input_error, output_path
from fau_lightning.errors import SettingError
from fau_lightning.inference.annotate import write_annotated
from fau_lightning.inference.faces import PhotoDetector
from fau_lightning.inference.inputs import InputFile, list_inputs, read_frames
from fau_lightning.inference.model_record import SYNTHETIC_WARNING, ModelRecord
from fau_lightning.inference.predictor import FacePrediction, Predictor
from fau_lightning.inference.rows import RowWriter, class_columns

FRAME_COLUMNS = ["input", "frame", "face", "status", "x0", "y0", "x1", "y1"]


def usage_notes(record: ModelRecord) -> list[str]:
    """What a user must know before reading the predictions of this model on their own photos."""
    if not record.training_data:
        return ["note: this checkpoint does not record what it was trained on"]
    return [f"warning: {SYNTHETIC_WARNING}"] if record.synthetic else []


def row_of(prediction: FacePrediction, record: ModelRecord) -> dict:
    frame = prediction.frame
    row = {
        "input": str(frame.source.shown_as),
        "frame": frame.index,
        "face": prediction.face,
        "status": prediction.status,
    }
    row |= dict(zip(("x0", "y0", "x1", "y1"), prediction.box or (None,) * 4, strict=True))
    if prediction.probabilities is not None:
        row |= class_columns(record.class_names, prediction.probabilities, record.multi_label)
    return row


def predict_files(predictor: Predictor, inputs: list[InputFile], args: argparse.Namespace) -> dict[str, int]:
    """Write every row (and annotated copy); returns the number of rows of each status."""
    record = predictor.record
    detector = None if args.no_detect else PhotoDetector(args.min_face, args.min_neighbors)
    counts: dict[str, int] = {}
    frames = (frame for source in inputs for frame in read_frames(source, args.every))
    with (
        RowWriter(args.output, FRAME_COLUMNS + ["predicted", *record.class_names], args.format) as writer,
        tqdm(total=len(inputs), unit="file", desc="fau-predict", disable=None, file=sys.stderr) as progress,
    ):
        last_source = None
        for frame, predictions in predictor.predict(frames, detector):
            if frame.source is not last_source:
                progress.update(last_source is not None)
                last_source = frame.source
            rows = [row_of(prediction, record) for prediction in predictions]
            for row in rows:
                writer.write(row)
                counts[row["status"]] = counts.get(row["status"], 0) + 1
            if args.annotate and frame.image is not None:
                boxes = [(p.box, row["predicted"] or "-") for p, row in zip(predictions, rows) if p.box is not None]
                write_annotated(args.annotate, frame, boxes)
        progress.update(last_source is not None)
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="fau-predict", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("checkpoint", help="a checkpoint written by fau-train")
    parser.add_argument("inputs", nargs="+", help="image files, folders (searched recursively) and video files")
    parser.add_argument("--output", type=Path, default=None, help="where the rows go (default: predictions.<format>)")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="CSV with a header, or JSON lines")
    parser.add_argument("--every", type=int, default=1, help="videos: classify every Nth frame (frames 0, N, 2N, ...)")
    parser.add_argument(
        "--no-detect", dest="no_detect", action="store_true", help="classify each whole image as one face"
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
        "--annotate", type=Path, default=None, metavar="DIR", help="write copies with boxes and labels here"
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
    args.output = args.output or Path(f"predictions.{args.format}")
    return args


def run(argv: list[str] | None = None) -> dict[str, int]:
    args = parse_args(argv)
    inputs = list_inputs(args.inputs)
    if not inputs:
        raise SettingError(f"{', '.join(args.inputs)}: no image or video file found (nothing to classify)")
    output_path(args.output, "--output")
    if args.annotate is not None:
        output_path(args.annotate, "--annotate", folder=True)
    names = args.class_names.split(",") if args.class_names else None
    predictor = Predictor.from_checkpoint(args.checkpoint, args.device, args.batch_size, args.image_size, names)
    for note in usage_notes(predictor.record):
        print(f"fau-predict: {note}", file=sys.stderr)
    counts = predict_files(predictor, inputs, args)
    faces = counts.get("face", 0) + counts.get("whole image", 0)
    print(
        f"{faces} face(s) classified; {counts.get('no face', 0)} image(s) or frame(s) without a face; "
        f"{counts.get('unreadable', 0)} unreadable; rows in {args.output}"
        + (f"; annotated copies in {args.annotate}" if args.annotate else "")
    )
    return counts


def main(argv: list[str] | None = None) -> None:
    """The `fau-predict` console script."""
    exit_on_input_error("fau-predict", lambda: run(argv))


if __name__ == "__main__":
    main()
