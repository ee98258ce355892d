"""A network's analysis rendered: its figures, report.json, fau_alignment.md and report.html.

The same figures and numbers feed the report folder and the W&B run, so both show one computation.
"""

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
from torch import nn

from fau_lightning.analysis.activations import top_k_images
from fau_lightning.analysis.filters import unit_patches
from fau_lightning.analysis.layers import first_convolution
from fau_lightning.analysis.network import NetworkAnalysis
from fau_lightning.analysis.pipeline import FAUReport, verdict_numbers
from fau_lightning.analysis.receptive_field import measured_receptive_field
from fau_lightning.errors import OutputError
from fau_lightning.files import temporary_path, unwritable_reason, write_failure, write_image
from fau_lightning.viz.alignment_table import markdown_table
from fau_lightning.viz.figures import (
    confusion_matrix_image,
    curves_image,
    heatmap_image,
    image_grid,
    labelled_rows_image,
)
from fau_lightning.viz.report_page import report_page

FIGURE_FILES = {
    "curves": "curves.png",
    "confusion": "confusion.png",
    "patches": "top_patches.png",
    "projections": "projections.png",
    "conv1": "conv1_filters.png",
    "fau": "fau_auroc.png",
    "au_patches": "au_best_units.png",
}


def best_unit_heatmap(report: FAUReport, layer: str) -> np.ndarray:
    """Held-out AUROC of each AU's best unit (rows, in AU order) for every tested AU (columns); each
    row's own AU is outlined.
    """
    rows = [v.best_unit for v in report.verdicts]
    labels = [f"AU{v.au}: {v.unit}" for v in report.verdicts]
    title = f"{layer}: held-out AUROC of each AU's best unit (rows) for every AU (columns); outlined: its own AU"
    marked = [(i, i) for i in range(len(rows))]
    return heatmap_image(report.auroc[rows], labels, [f"AU{au}" for au in report.au_codes], title, marked=marked)


def best_unit_patches(model: nn.Module, analysis: NetworkAnalysis) -> list[list[np.ndarray]]:
    """For each verdict, what its best unit sees in its K strongest held-out images."""
    maxima, k = analysis.measured.evidence, analysis.settings.patches
    images = analysis.prepared.evidence.images
    rf = measured_receptive_field(model, analysis.settings.layer, images.shape[-1])
    top = top_k_images(maxima.values, k)
    return [unit_patches(images, rf, maxima, v.best_unit, top[v.best_unit]) for v in analysis.fau.verdicts]


def first_filters_image(model: nn.Module) -> np.ndarray:
    """The network's first convolution's filters (their first input channel), 16 to a row."""
    weights = first_convolution(model).weight.detach().float().cpu().numpy()[:, 0]
    return image_grid(list(weights), 16, tile_size=20)


def report_figures(model: nn.Module, analysis: NetworkAnalysis, test: dict | None, history: list[dict]) -> dict:
    """Every figure of the report, by key (FIGURE_FILES), as RGB or grayscale arrays: the training
    curves, the test confusion matrix (classifiers), the filters and the verdict's figures.
    """
    figures = {}
    if history:
        figures["curves"] = curves_image(history, "per epoch, up to this checkpoint (train: solid, val: dashed)")
    if test and test.get("confusion") is not None:
        accuracy = test["metrics"].get("test/acc", float("nan"))
        title = f"{test['split']}: {test['weights']}, accuracy {accuracy:.3f}"
        figures["confusion"] = confusion_matrix_image(np.array(test["confusion"]), test["class_names"], title)
    filters, layer = analysis.filters, analysis.settings.layer
    names = [f"f{f}" for f in filters.filters]
    figures["patches"] = labelled_rows_image(
        [filters.patches[f] for f in filters.filters],
        names,
        title=f"{layer}: top-{analysis.settings.patches} training patches of the most selective filters",
    )
    if filters.projections:
        figures["projections"] = labelled_rows_image(
            [[filters.projections[f]] for f in filters.filters],
            names,
            tile_size=64,
            title=f"strongest activation projected to pixels ({filters.method})",
        )
    figures["conv1"] = first_filters_image(model)
    fau = analysis.fau
    if fau is not None and fau.verdicts:
        figures["fau"] = best_unit_heatmap(fau, layer)
        figures["au_patches"] = labelled_rows_image(
            best_unit_patches(model, analysis),
            [f"AU{v.au}: {v.unit}" for v in fau.verdicts],
            title=f"Top-{analysis.settings.patches} held-out patches of each AU's best {layer} unit",
        )
    return figures


def report_numbers(source: str, test: dict | None, history: list[dict], analysis: NetworkAnalysis) -> dict:
    """report.json's content: the checkpoint, its test figures, its training history, the filters and the verdict."""
    numbers: dict = {
        "checkpoint": source,
        "test": test,
        "history": history,
        "filters": {
            "layer": analysis.settings.layer,
            "most_selective": analysis.filters.filters,
            "method": analysis.filters.method,
        },
    }
    if analysis.fau is not None:
        numbers["fau"] = verdict_numbers(analysis.fau, analysis.settings)
    else:
        numbers["fau"] = {"skipped": analysis.skipped}
    return numbers


# what a report folder holds: its files and, after `fau-analyze --wandb`, the W&B run made of it
REPORT_ENTRIES = frozenset({"report.json", "report.html", "fau_alignment.md", "progress.log", "wandb", "wandb_data"})


def report_folder_problem(folder: Path, overwrite: bool) -> str | None:
    """Why a report may not be written to `folder` (None: it may). A folder that exists may be replaced
    only when it holds an earlier report and nothing else, and only with `overwrite`.
    """
    folder, here = Path(folder).resolve(), Path.cwd().resolve()
    if folder == here or folder in here.parents:
        return "is the working folder or holds it; give a new folder for the report"
    reason = unwritable_reason(folder, folder=True)
    if reason is not None:
        return reason
    entries = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    foreign = sorted(entries - REPORT_ENTRIES - set(FIGURE_FILES.values()))
    if entries and (foreign or "report.json" not in entries):
        return f"holds files that are not a report ({', '.join(foreign[:3]) or 'no report.json'}); give a new folder"
    if entries and not overwrite:
        return "holds an earlier report; give --overwrite to replace it, or another folder"
    return None


def _write_report_files(
    partial: Path, numbers: dict, figures: dict[str, np.ndarray], fau: FAUReport | None, log: str
) -> None:
    for key, image in figures.items():
        write_image(partial / FIGURE_FILES[key], cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image)
    (partial / "report.json").write_text(json.dumps(numbers, indent=2, default=float))
    if fau is not None and fau.verdicts:
        (partial / "fau_alignment.md").write_text(markdown_table(fau))
    files = {key: FIGURE_FILES[key] for key in figures}
    (partial / "report.html").write_text(report_page(numbers, files, fau))
    if log:
        (partial / "progress.log").write_text(log)


def write_report(
    folder: Path,
    numbers: dict,
    figures: dict[str, np.ndarray],
    fau: FAUReport | None,
    log: str = "",
    overwrite: bool = False,
) -> None:
    """Write the report folder whole: its files go into a hidden folder beside it, which then takes
    `folder`'s place, so an interrupted write never leaves half a report. `log`: the progress lines that
    made it. An existing `folder` is replaced only if it is an earlier report and `overwrite` is given.

    Raises:
        OutputError: `folder` may not be written (`report_folder_problem`).
    """
    folder = Path(folder)
    problem = report_folder_problem(folder, overwrite)
    if problem is not None:
        raise OutputError(f"{folder}: {problem}")
    partial = temporary_path(folder)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _write_report_files(partial, numbers, figures, fau, log)
    except BaseException as err:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(err, OutputError):  # named by its hidden path: say the folder the user gave
            raise OutputError(str(err).replace(str(partial), str(folder))) from err
        raise (write_failure(err, folder) if isinstance(err, OSError) else None) or err
    if not folder.exists():
        partial.rename(folder)
        return
    earlier = temporary_path(folder.with_name(f"{folder.name}-earlier"))
    folder.rename(earlier)
    partial.rename(folder)
    shutil.rmtree(earlier)
