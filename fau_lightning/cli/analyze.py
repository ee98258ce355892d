"""`fau-analyze CHECKPOINT`: a trained model's report, made by the same evaluation path as the training run's.

    fau-analyze runs/.../best.ckpt [--output report/] [-- any fau-train overrides, e.g. --data.fold 3]
    fau-analyze runs/.../best.ckpt --config configs/other.yaml     (judge it on another data config)
    fau-analyze --untrained 100 --config configs/synthetic.yaml --output untrained/   (an untrained network)
    fau-analyze --clear_cache                                       (delete the cached untrained networks)

The data are the checkpoint's own (its recorded data module and settings) unless --config is given.
Tests the checkpoint (in the precision it was trained in), judges its FAU verdict and writes the report
folder: `report.html` (the verdict first, then the test figures and confusion matrix, the training
curves, the per-AU table and the filter pictures), `report.json` with every number, `fau_alignment.md`
(the per-AU table; docs/fau_alignment.md defines it) and `progress.log`. `fau-train fit` writes the same
report for its tested checkpoint through the same function (`cli/evaluation.py`), so on the same
checkpoint both report.json files hold the same numbers. The analysis's settings are the `--analysis.*`
flags below, the same as fau-train's. The untrained networks' figures are cached by architecture, seed
and data (`--control_cache`; its size is printed). The report folder is written beside and renamed into
place, so an interrupted run never leaves half a report. `--wandb` also logs it all to a W&B run (offline
unless `--wandb_online`), kept inside the report folder.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from pytorch_lightning.loggers import WandbLogger

from fau_lightning import datamodules
from fau_lightning.analysis.controls import clear_cache, default_control_cache, untrained_copy
from fau_lightning.analysis.evidence import extra_people
from fau_lightning.analysis.pipeline import verdict_line
from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.checkpoint import read_checkpoint
from fau_lightning.checkpoint.record import MODEL_RECORD_KEY
from fau_lightning.cli.common import (
    CommandParser,
    add_settings_flags,
    config_args,
    exit_on_input_error,
    settings_from,
    show_progress,
    split_at_double_dash,
)
from fau_lightning.cli.evaluation import Evaluation, evaluate_checkpoint, quiet_trainer
from fau_lightning.cli.evaluation_logging import log_evaluation
from fau_lightning.cli.train import WANDB_DATA_FOLDER, build_config
from fau_lightning.datamodules import FaceDataModule
from fau_lightning.errors import SettingError
from fau_lightning.progress import StageProgress
from fau_lightning.tasks import load_task
from fau_lightning.viz.network_report import report_folder_problem


def log_to_wandb(evaluation: Evaluation, report: Path, project: str, online: bool) -> str:
    """Log the evaluation (test metrics, verdict scalars, figures, per-AU table) to a new W&B run kept
    inside the report folder (offline unless `online`); returns the run's folder.
    """
    import wandb

    os.environ["WANDB_DATA_DIR"] = str(report.resolve() / WANDB_DATA_FOLDER)
    logger = WandbLogger(project=project, save_dir=str(report), offline=not online, job_type="analysis")
    try:
        logger.log_hyperparams({"checkpoint": evaluation.numbers["checkpoint"]})
        log_evaluation([logger], evaluation, step=0, training_run=False)
        return str(Path(logger.experiment.dir).parent)
    finally:
        wandb.finish()


def checkpoint_data_args(path: str) -> list[str]:
    """`--data <json>`: the data module a checkpoint was trained with, as it recorded it.

    Raises:
        SettingError: the checkpoint records no data module of this package (give --config).
    """
    recorded = dict(read_checkpoint(path).get("datamodule_hyper_parameters") or {})
    class_path = str(recorded.pop("_class_path", ""))
    known = {f"fau_lightning.datamodules.{name}" for name in datamodules.__all__}
    if class_path not in known:
        raise SettingError(f"{path}: records no data module of fau_lightning; give --config CONFIG")
    init_args = {k: v for k, v in recorded.items() if not k.startswith("_")}
    return ["--data", json.dumps({"class_path": class_path, "init_args": init_args})]


def _extra_people(args: argparse.Namespace, data_args: list[str], datamodule: FaceDataModule) -> ProbeSet | None:
    """--extra_evidence's people as a probe set, refused if any of them trained the network."""
    if args.extra_evidence is None:
        return None
    extra = build_config([*data_args, "--config", args.extra_evidence]).datamodule
    extra.prepare_data()
    records, split_of = datamodule.analysis_records()
    trained_on = set(records.subject[split_of == "train"].tolist())
    return extra_people(*extra.analysis_records(), trained_on, args.extra_evidence)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    exit_on_input_error("fau-analyze", lambda: _analyze(argv))


def _parser() -> CommandParser:
    parser = CommandParser("fau-analyze", __doc__)
    parser.add_argument("checkpoint", nargs="?", help="the trained model (leave out with --untrained)")
    parser.add_argument(
        "--untrained", type=int, default=None, metavar="SEED", help="analyse --config's network untrained, from SEED"
    )
    parser.add_argument(
        "--config", action="append", default=None, help="data config (default: the one the checkpoint records)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="a new report folder, or an earlier report with --overwrite (default: <checkpoint>.report/)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier report in the --output folder")
    parser.add_argument(
        "--extra_evidence",
        default=None,
        metavar="CONFIG",
        help="a config whose data section, laid over the data, reads further people the network never trained "
        "on; all of them join the held-out evidence (the built-in set already adds its evidence_subjects)",
    )
    parser.add_argument(
        "--evidence_draw",
        type=int,
        default=None,
        metavar="K",
        help="judge the verdict on the K-th draw of the built-in set's further people (0: those the checkpoint's "
        "data names; K >= 1: as many new people, disjoint from every other draw and from training)",
    )
    add_settings_flags(parser, AnalysisSettings, "analysis")
    parser.add_argument(
        "--control_cache",
        type=Path,
        default=default_control_cache(),
        help="where the untrained networks' figures are cached",
    )
    parser.add_argument("--clear_cache", action="store_true", help="delete the control cache's entries first")
    parser.add_argument("--wandb", action="store_true", help="also log the report to an offline W&B run")
    parser.add_argument("--wandb_project", default="fau_lightning", help="W&B project of that run")
    parser.add_argument("--wandb_online", action="store_true", help="log online instead of offline")
    return parser


def _checked_output(args: argparse.Namespace) -> Path:
    """The report folder, checked before any work (`report_folder_problem`)."""
    output = args.output or Path(args.checkpoint).with_suffix(".report")
    problem = report_folder_problem(output, args.overwrite)
    if problem is not None:
        raise SettingError(f"--output {output}: {problem}")
    return output


def _print_result(evaluation: Evaluation) -> None:
    """The test figures, the tests passed, the verdict and the report's place."""
    metrics = evaluation.test["metrics"]
    print("test " + ", ".join(f"{k.removeprefix('test/')} {v:.4f}" for k, v in metrics.items() if k.count("/") == 1))
    fau = evaluation.numbers["fau"]
    if evaluation.analysis.fau is not None:
        print(
            f"tests passed ({int(fau['fau/tested_aus'])} AUs tested): above chance {int(fau['fau/above_chance_aus'])}, "
            f"above {fau['controls']} untrained networks {int(fau['fau/above_control_aus'])}, within emotion "
            f"{int(fau['fau/within_emotion_aus'])}, in region {int(fau['fau/region_aus'])}; "
            f"held-out mean AUROC {fau['fau/mean_heldout_auroc']:.3f}"
        )
        print(verdict_line(evaluation.analysis.fau))
    else:
        print(f"FAU verdict: none ({evaluation.analysis.skipped})")
    print(f"report: {evaluation.report / 'report.html'}")


def _analyze(argv: list[str]) -> None:
    own, overrides = split_at_double_dash(argv)
    parser = _parser()
    args = parser.parse_args(own)
    show_progress("fau-analyze")
    if args.clear_cache:
        entries, size = clear_cache(args.control_cache)
        print(f"control cache {args.control_cache}: removed {entries} entries ({size / 1e3:.0f} kB)")
        if args.checkpoint is None and args.untrained is None:
            return
    if (args.checkpoint is None) == (args.untrained is None):
        parser.error("give a checkpoint or --untrained SEED (one of them)")
    if args.untrained is not None and (args.output is None or args.config is None):
        parser.error("--untrained needs --config and --output")
    args.output = _checked_output(args)
    settings = settings_from(args, AnalysisSettings, "analysis")
    data_args = [*(config_args(args.config) if args.config else checkpoint_data_args(args.checkpoint)), *overrides]
    data_args += [f"--data.evidence_draw={args.evidence_draw}"] if args.evidence_draw is not None else []
    progress = StageProgress()
    progress.note("reading the data")
    cli = build_config(data_args)
    datamodule = cli.datamodule
    datamodule.prepare_data()
    datamodule.setup("fit")
    extra = _extra_people(args, data_args, datamodule)
    if args.checkpoint is not None:
        task = load_task(args.checkpoint)
        precision = (read_checkpoint(args.checkpoint).get(MODEL_RECORD_KEY) or {}).get("precision")
    else:
        task, precision = cli.model, None
        task.model.load_state_dict(untrained_copy(task.model, args.untrained).state_dict())
    evaluation = evaluate_checkpoint(
        args.checkpoint or "",
        task,
        datamodule,
        quiet_trainer(precision),
        settings,
        args.control_cache,
        output=args.output,
        extra_evidence=extra,
        progress=progress,
        source=args.checkpoint or f"untrained, seed {args.untrained}",
        loaded=True,
        overwrite=args.overwrite,
    )
    _print_result(evaluation)
    if args.wandb:
        print(f"W&B run: {log_to_wandb(evaluation, evaluation.report, args.wandb_project, args.wandb_online)}")


if __name__ == "__main__":
    main()
