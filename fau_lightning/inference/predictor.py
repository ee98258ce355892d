"""Classify the faces of frames in batches with a trained network and its checkpoint's record."""

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from fau_lightning.checkpoint import (
    ModelRecord,
    checked_task_name,
    network_from_checkpoint,
    read_checkpoint,
    read_record,
)
from fau_lightning.errors import SettingError
from fau_lightning.inference.faces import Box, PhotoDetector, cut_faces, find_faces
from fau_lightning.inference.inputs import Frame
from fau_lightning.models import WithProbabilities
from fau_lightning.pixels import to_unit_float


@dataclass(frozen=True)
class FacePrediction:
    """One row of output: a face of a frame, or a frame without one.

    Attributes:
        frame: the image or video frame.
        status: "face", "whole image" (detection off), "no face" or "unreadable".
        face: the face's number in its frame (0, 1, ... left to right); None without a face.
        box: (x0, y0, x1, y1) in the frame's pixels; None without a face.
        probabilities: one per class name of the checkpoint; None without a face.
    """

    frame: Frame
    status: str
    face: int | None = None
    box: Box | None = None
    probabilities: np.ndarray | None = None


def pick_device(choice: str) -> torch.device:
    """The device named; "auto": a CUDA GPU if there is one, else the CPU."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(choice)
    except RuntimeError as err:
        raise SettingError(f"{choice!r} is not a device (auto, cpu, cuda, cuda:1, ...)", "device") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SettingError(f"{choice} asked for, but no CUDA GPU is visible", "device")
    return device


class Predictor:
    """A trained network with what its checkpoint says about preparing faces for it.

    Args:
        network: logits -> probabilities (`WithProbabilities`).
        record: the checkpoint's record (class names, input size, ...).
        device: where the network runs.
        batch_size: faces classified at once.
        hyperparameters: the task's saved arguments (architecture and training settings), if known.
    """

    def __init__(
        self,
        network: WithProbabilities,
        record: ModelRecord,
        device: torch.device,
        batch_size: int = 64,
        hyperparameters: dict | None = None,
    ):
        self.network = network.to(device).eval()
        self.hyperparameters = dict(hyperparameters or {})
        self.record = record
        self.device = device
        self.batch_size = batch_size

    @classmethod
    def from_checkpoint(
        cls,
        path: str | os.PathLike,
        device: str = "auto",
        batch_size: int = 64,
        image_size: int | None = None,
        class_names: list[str] | None = None,
    ) -> "Predictor":
        """Load a checkpoint safely (tensors and plain values only) with its record; flags fill what an
        older checkpoint lacks (`read_record`).
        """
        checkpoint = read_checkpoint(path)
        checked_task_name(checkpoint, path)
        record = read_record(checkpoint, path, image_size, class_names)
        network = WithProbabilities(network_from_checkpoint(checkpoint, path), record.multi_label)
        hyperparameters = {k: v for k, v in checkpoint.get("hyper_parameters", {}).items() if not k.startswith("_")}
        return cls(network, record, pick_device(device), batch_size, hyperparameters)

    @torch.inference_mode()
    def classify(self, faces: np.ndarray) -> np.ndarray:
        """(N, S, S) uint8 faces at the input size -> (N, classes) probabilities, in batches."""
        out = []
        for start in range(0, len(faces), self.batch_size):
            batch = to_unit_float(torch.from_numpy(faces[start : start + self.batch_size]).to(self.device)).unsqueeze(1)
            out.append(self.network(batch).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.record.class_names)), np.float32)

    def predict(
        self, frames: Iterable[Frame], detector: PhotoDetector | None, pad: bool = False
    ) -> Iterator[tuple[Frame, list[FacePrediction]]]:
        """Each frame in order with its rows (a row per face, or one saying why there is none); faces
        are classified in batches across frames. With no detector, each frame's centred square is one
        face (`pad`: the long side's square, border repeated, instead of the short side's).
        """
        pending: list[tuple[Frame, list[Box], np.ndarray]] = []
        waiting = 0
        for frame in frames:
            gray = frame.gray if frame.image is not None else None
            boxes = find_faces(gray, detector, pad) if gray is not None else []
            cut = cut_faces(gray, boxes, self.record.input_size) if boxes else None
            pending.append((frame, boxes, cut))
            waiting += len(boxes)
            if waiting >= self.batch_size:
                yield from self._classified(pending, detector)
                pending, waiting = [], 0
        yield from self._classified(pending, detector)

    def _classified(self, pending: list[tuple[Frame, list[Box], np.ndarray | None]], detector: PhotoDetector | None):
        cuts = [cut for _, _, cut in pending if cut is not None]
        probabilities = iter(self.classify(np.concatenate(cuts)) if cuts else [])
        status = "face" if detector is not None else "whole image"
        for frame, boxes, _ in pending:
            if frame.image is None:
                yield frame, [FacePrediction(frame, "unreadable")]
            elif not boxes:
                yield frame, [FacePrediction(frame, "no face")]
            else:
                yield frame, [FacePrediction(frame, status, n, box, next(probabilities)) for n, box in enumerate(boxes)]
