"""The one evaluation path of a trained checkpoint: test it, judge what it learned, write its report.

`fau-train fit` (when fit ends) and `fau-analyze` both call `evaluate_checkpoint`, so the test
figures, the FAU verdict and the report folder a user reads come from one computation, whichever
command made them. The training run's Trainer tests with its own loggers (so the run holds the test
metrics); `fau-analyze` makes a quiet Trainer in the precision the checkpoint was trained in.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
from torch import nn

from fau_lightning.analysis.controls import cache_size
from fau_lightning.analysis.evidence import analysis_probes
from fau_lightning.analysis.network import NetworkAnalysis, analyse_network
from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.checkpoint.reading import read_checkpoint
from fau_lightning.datamodules import FaceDataModule
from fau_lightning.progress import StageProgress
from fau_lightning.tasks import FaceTask
from fau_lightning.tasks.base import HISTORY_KEY
from fau_lightning.viz.network_report import report_figures, report_numbers, write_report


@dataclass(frozen=True)
class Evaluation:
    """A checkpoint's test figures, its analysis and the report made of them."""

    checkpoint: str  # "" where the final weights were tested (no checkpoint callback)
    model: nn.Module  # the tested network
    test: dict  # report.json's "test": split, weights, epoch, step, metrics, class names, confusion
    analysis: NetworkAnalysis
    numbers: dict  # report.json
    figures: dict[str, np.ndarray]  # the report's figures by key (viz.network_report.FIGURE_FILES)
    report: Path | None  # the report folder, None where none was written
    seconds: float  # from the test's end to the report's


def quiet_trainer(precision: str | None = None) -> pl.Trainer:
    """A Trainer on the CPU that logs, checkpoints and prints nothing: for testing a loaded checkpoint."""
    return pl.Trainer(
        accelerator="cpu",
        precision=precision or "32-true",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )


def checkpoint_test_record(
    trainer: pl.Trainer,
    task: FaceTask,
    datamodule: FaceDataModule,
    checkpoint: str,
    loaded: bool = False,
    source: str = "the final weights",
) -> dict:
    """The test split through `trainer` with the checkpoint's weights (loaded here unless `loaded`; the
    task's own, called `source`, where `checkpoint` is ""): the test record report.json keeps. Every rank tests.
    """
    reload = checkpoint if checkpoint and not loaded else None
    results = trainer.test(task, datamodule=datamodule, ckpt_path=reload, verbose=False)
    metrics = {k: float(v) for k, v in (results[0] if results else {}).items() if k.startswith("test/")}
    weights = task.tested_checkpoint
    return {
        **task.test_record(metrics, datamodule.test_split_name),
        "weights": task.weights_name("test") if checkpoint else source,
        "epoch": weights.get("epoch") if checkpoint else None,
        "step": weights.get("step") if checkpoint else None,
    }


def _analysis(
    model: nn.Module,
    datamodule: FaceDataModule,
    settings: AnalysisSettings,
    control_cache: str | Path | None,
    verdict: bool,
    extra_evidence: ProbeSet | None,
    progress: StageProgress,
) -> NetworkAnalysis:
    """The network's filter pictures and FAU verdict on the data's probe sets, with the cache's size said."""
    selection, evidence = analysis_probes(datamodule, progress)
    if extra_evidence is not None:
        evidence = ProbeSet.concatenate([evidence, extra_evidence])
    analysis = analyse_network(model, selection, evidence, settings, control_cache, progress=progress, verdict=verdict)
    if control_cache is not None and analysis.fau is not None:
        entries, size = cache_size(control_cache)
        progress.note(f"untrained networks' cache {control_cache}: {entries} entries, {size / 1e3:.0f} kB")
    return analysis


def _name_further_people(numbers: dict, datamodule: FaceDataModule) -> None:
    """Say in report.json which people beyond the data's own the verdict was judged on (the draw)."""
    further = datamodule.further_people()
    if further is not None and "evidence" in numbers["fau"]:
        people = {"first_subject": further.people.first_subject, "people": further.people.num_subjects}
        numbers["fau"]["evidence"]["further_people"] = people | {"draw": getattr(datamodule, "evidence_draw", 0)}


def evaluate_checkpoint(
    checkpoint: str,
    task: FaceTask,
    datamodule: FaceDataModule,
    trainer: pl.Trainer,
    settings: AnalysisSettings,
    control_cache: str | Path | None,
    verdict: bool = True,
    output: Path | None = None,
    extra_evidence: ProbeSet | None = None,
    progress: StageProgress | None = None,
    source: str = "",
    loaded: bool = False,
    overwrite: bool = True,
) -> Evaluation | None:
    """Test the checkpoint with `trainer`, then on rank zero analyse the tested weights (filter pictures
    and, with `verdict` and FACS-coded data, the FAU verdict), write the report folder and return the
    evaluation (None on other ranks).

    Args:
        checkpoint: the checkpoint file ("": test and judge `task` as it is).
        task: the task whose network is tested; it holds the checkpoint's weights afterwards.
        datamodule: its test split, training subjects (units chosen) and held-out people (judged).
        trainer: tests the checkpoint (the training run's own, or `quiet_trainer`).
        settings: the analysis's settings.
        control_cache: where the untrained networks' figures are cached (None: not cached).
        verdict: judge the FAU verdict (False: test, curves and filter pictures only).
        output: the report folder (default `<checkpoint>.report`; none without a checkpoint).
        extra_evidence: further FACS-coded people the network never saw, added to the held-out evidence.
        progress: told each stage's steps; its lines are kept in the report as progress.log.
        source: what the report calls the weights (default: the checkpoint's path).
        loaded: `task` already holds the checkpoint's weights (`load_task`): the trainer need not load it.
        overwrite: an earlier report in the folder may be replaced (never other files).
    """
    progress, source = progress or StageProgress(), source or checkpoint or "the final weights"
    progress.note(f"testing {checkpoint or 'the final weights'} on the {datamodule.test_split_name}")
    test = checkpoint_test_record(trainer, task, datamodule, checkpoint, loaded, source)
    if not trainer.is_global_zero:
        return None
    start = time.perf_counter()
    history = list(read_checkpoint(checkpoint).get(HISTORY_KEY, [])) if checkpoint else []
    model = task.model.eval()
    analysis = _analysis(model, datamodule, settings, control_cache, verdict, extra_evidence, progress)
    progress.note("drawing the report")
    numbers = report_numbers(source, test, history, analysis)
    _name_further_people(numbers, datamodule)
    figures = report_figures(model, analysis, test, history)
    folder = output or (Path(checkpoint).with_suffix(".report") if checkpoint else None)
    if folder is not None:
        write_report(folder, numbers, figures, analysis.fau, "\n".join(progress.lines) + "\n", overwrite)
    return Evaluation(
        checkpoint=checkpoint,
        model=model,
        test=test,
        analysis=analysis,
        numbers=numbers,
        figures=figures,
        report=folder,
        seconds=time.perf_counter() - start,
    )
