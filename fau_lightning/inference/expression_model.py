"""The Python API: a trained model that classifies the faces in photos, arrays and videos.

    from fau_lightning import ExpressionModel

    model = ExpressionModel.from_checkpoint("best.ckpt")
    rows = model.predict("photo.jpg")            # or a folder, a numpy image, or a list of any of them
    for row in model.predict_video("clip.mp4", every=5):
        print(row["time_s"], row["predicted"])

Each row is what `fau-predict` writes (its CSV row, with the probabilities under "probabilities", as
in its JSON lines), so the command and the API cannot disagree: the command is built on this class.
"""

import os
import warnings
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from fau_lightning.checkpoint.record import SYNTHETIC_WARNING, ModelRecord
from fau_lightning.errors import SettingError
from fau_lightning.inference.faces import PhotoDetector
from fau_lightning.inference.inputs import Frame, InputFile, list_inputs, read_frames
from fau_lightning.inference.predictor import FacePrediction, Predictor
from fau_lightning.inference.rows import class_columns

ROW_COLUMNS = ["input", "frame", "time_s", "face", "status", "x0", "y0", "x1", "y1", "predicted"]
ImageInput = str | os.PathLike | np.ndarray


class DrawnFacesWarning(UserWarning):
    """The model was trained on the built-in drawn faces; its predictions on photographs say little."""


def usage_notes(record: ModelRecord) -> list[tuple[str, type[Warning]]]:
    """What a user must know before reading this model's predictions on their own photos, with the
    warning class the Python API raises it as.
    """
    if not record.training_data:
        return [("this checkpoint does not record what it was trained on", UserWarning)]
    return [(SYNTHETIC_WARNING, DrawnFacesWarning)] if record.synthetic else []


def prediction_row(prediction: FacePrediction, record: ModelRecord) -> dict:
    """One output row: `ROW_COLUMNS` and, for a classified face, "probabilities" ({class: p})."""
    frame = prediction.frame
    row = {
        "input": frame.source.shown_as,
        "frame": frame.index,
        "time_s": frame.time_s,
        "face": prediction.face,
        "status": prediction.status,
    }
    row |= dict(zip(("x0", "y0", "x1", "y1"), prediction.box or (None,) * 4, strict=True))
    if prediction.probabilities is None:
        return row | {"predicted": None, "probabilities": None}
    return row | class_columns(record.class_names, prediction.probabilities, record.multi_label)


class ExpressionModel:
    """A trained network with how faces are found and prepared for it.

    Args:
        predictor: the network and its checkpoint's record.
        detect: find faces with OpenCV's Haar detector; False: each whole image is one face.
        min_face: smallest face found, as a share of the image's short side.
        min_neighbors: Haar detections needed for a face (higher: fewer false faces).
        pad: with `detect=False`, fit the whole image into the square (border repeated) instead of
            cutting its centred square.
    """

    def __init__(
        self,
        predictor: Predictor,
        detect: bool = True,
        min_face: float = PhotoDetector.min_face,
        min_neighbors: int = PhotoDetector.min_neighbors,
        pad: bool = False,
    ) -> None:
        self.predictor = predictor
        self.detector = PhotoDetector(min_face, min_neighbors) if detect else None
        self.pad = pad

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str = "auto", batch_size: int = 64, **options):
        """Load a checkpoint written by `fau-train` (tensors and plain values only).

        Args:
            path: the checkpoint.
            device: "auto" (a CUDA GPU if there is one, else the CPU), "cpu", "cuda", "cuda:1", ...
            batch_size: faces classified at once.
            **options: `detect`, `min_face`, `min_neighbors`, `pad` (see the class).

        Warns:
            DrawnFacesWarning: the model was trained on the built-in drawn faces.
            UserWarning: the checkpoint does not record what it was trained on.
        """
        model = cls(Predictor.from_checkpoint(path, device, batch_size), **options)
        for note, category in usage_notes(model.record):
            warnings.warn(note, category, stacklevel=2)
        return model

    @property
    def record(self) -> ModelRecord:
        """What the checkpoint records: class names, input size, training data, test metrics, ..."""
        return self.predictor.record

    @property
    def class_names(self) -> list[str]:
        return list(self.record.class_names)

    def predict(self, images: ImageInput | Sequence[ImageInput]) -> list[dict]:
        """The rows of one or more images: paths of images, folders (searched recursively) or videos
        (every frame), or numpy images (BGR or grayscale uint8, as OpenCV reads them; named
        "<array N>"). A row per face found, or one row saying why there is none.
        """
        given = list(images) if isinstance(images, list | tuple) else [images]
        return [row for _, rows in self.predict_frames(self._frames(given)) for row in rows]

    def predict_video(self, path: str | os.PathLike, every: int = 1) -> Iterator[dict]:
        """The rows of a video's frames 0, every, 2*every, ... as classified; `time_s` from its frame rate."""
        if every < 1:
            raise SettingError(f"every: must be at least 1, got {every}")
        (source,) = list_inputs([path])
        if not source.is_video:
            raise SettingError(f"{path}: not a video file")
        for _, rows in self.predict_frames(read_frames(source, every)):
            yield from rows

    def predict_frames(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, list[dict]]]:
        """Each frame in order with its rows; faces are classified in batches across frames."""
        for frame, predictions in self.predictor.predict(frames, self.detector, self.pad):
            yield frame, [prediction_row(p, self.record) for p in predictions]

    @staticmethod
    def _frames(given: list[ImageInput]) -> Iterator[Frame]:
        for number, item in enumerate(given):
            if isinstance(item, np.ndarray):
                yield Frame(InputFile(None, f"<array {number}>"), None, _checked_image(item, number))
            else:
                for source in list_inputs([item]):
                    yield from read_frames(source)


def _checked_image(image: np.ndarray, number: int) -> np.ndarray:
    colour = image.ndim == 3 and image.shape[2] in (3, 4)
    if image.dtype != np.uint8 or not (image.ndim == 2 or colour):
        raise SettingError(
            f"<array {number}>: expected a uint8 image, (H, W) grayscale or (H, W, 3) BGR; "
            f"got {image.dtype} {image.shape}"
        )
    if 0 in image.shape[:2]:
        raise SettingError(f"<array {number}>: an empty image, {image.shape[0]} x {image.shape[1]} pixels")
    return image[..., :3] if image.ndim == 3 else image
