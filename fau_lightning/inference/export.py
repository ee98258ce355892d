"""A trained network exported to ONNX (dynamic batch) or TorchScript, checked against PyTorch.

The exported model takes what the checkpoint's record says, (N, 1, S, S) float32 grayscale faces
with values in [0, 1], and returns (N, classes) probabilities; the face crop happens before it.
"""

import contextlib
import importlib.util
import logging
import os
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from fau_lightning.errors import SettingError
from fau_lightning.files import replaced_when_done
from fau_lightning.models import WithProbabilities

ExportFormat = Literal["onnx", "torchscript"]
INPUT_NAME, OUTPUT_NAME = "images", "probabilities"
FORMAT_OF_SUFFIX: dict[str, ExportFormat] = {
    ".onnx": "onnx",
    ".pt": "torchscript",
    ".pth": "torchscript",
    ".ts": "torchscript",
}


@contextlib.contextmanager
def _quiet_exporters():
    """PyTorch's exporters report progress and their own deprecations; none of it is the user's to act on."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.onnx._internal.exporter._registration")]
    levels = [log.level for log in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for log in loggers:
            log.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for log, level in zip(loggers, levels, strict=True):
                log.setLevel(level)


def export_network(network: WithProbabilities, input_size: int, path: Path, export_format: ExportFormat) -> None:
    """Write the network (logits to probabilities) to `path`, through a temporary file renamed into place.

    Raises:
        SettingError: an unknown format, or ONNX export without the onnx and onnxscript packages.
    """
    network = network.eval().cpu()
    example = torch.rand(2, 1, input_size, input_size)
    with replaced_when_done(path) as tmp:
        if export_format == "onnx":
            _require("onnx", "onnxscript")
            with _quiet_exporters(), open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                torch.onnx.export(
                    network,
                    (example,),
                    str(tmp),
                    input_names=[INPUT_NAME],
                    output_names=[OUTPUT_NAME],
                    dynamic_shapes={INPUT_NAME: {0: torch.export.Dim("batch")}},
                    external_data=False,  # one self-contained file
                    dynamo=True,
                )
        elif export_format == "torchscript":
            with _quiet_exporters(), torch.no_grad():
                torch.jit.save(torch.jit.trace(network, example), str(tmp))
        else:
            raise SettingError(f"must be onnx or torchscript, got {export_format!r}", "export_format")


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise SettingError(
            f"onnx needs the {' and '.join(missing)} package(s); pip install 'fau_lightning[export]'", "export_format"
        )


def exported_outputs(path: Path, export_format: ExportFormat, images: np.ndarray) -> np.ndarray:
    """Run an exported model on (N, 1, S, S) float32 images (ONNX through onnxruntime)."""
    if export_format == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run([OUTPUT_NAME], {INPUT_NAME: images})[0]
    with _quiet_exporters():
        loaded = torch.jit.load(str(path), map_location="cpu")
    with torch.no_grad():
        return loaded(torch.from_numpy(images)).numpy()


def parity(network: WithProbabilities, path: Path, export_format: ExportFormat, input_size: int) -> float | None:
    """Largest absolute difference between the export and PyTorch on random faces, batches of 1 and 5;
    None where onnxruntime (needed to run an ONNX file) is not installed.
    """
    if export_format == "onnx" and importlib.util.find_spec("onnxruntime") is None:
        return None
    rng = np.random.default_rng(0)
    worst = 0.0
    network = network.eval().cpu()
    for batch in (1, 5):
        images = rng.random((batch, 1, input_size, input_size), dtype=np.float32)
        with torch.no_grad():
            expected = network(torch.from_numpy(images)).numpy()
        worst = max(worst, float(np.abs(exported_outputs(path, export_format, images) - expected).max()))
    return worst
