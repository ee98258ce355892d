"""`fau-analyze CHECKPOINT`: the whole analysis of a trained model as a self-contained report.

    fau-analyze runs/.../best.ckpt [--output report/] [-- any fau-train overrides, e.g. --data.fold 3]
    fau-analyze runs/.../best.ckpt --config configs/other.yaml     (judge it on another data config)
    fau-analyze --untrained 100 --config configs/synthetic.yaml     (the same analysis of an untrained network)
    fau-analyze --clear_cache                                       (delete the cached untrained networks)

The data are the checkpoint's own (its recorded data module and settings) unless --config is given.
Writes `report.html` (the verdict first: the count, each AU as a chip, the evidence size and the
tests' counts; then the per-AU table, the test metrics, the filter pictures), `report.json` with
every number and `fau_alignment.md`, the per-AU verdict (docs/fau_alignment.md defines it). The
training run's FAUAlignmentLogger writes the same report for the tested checkpoint with the same
settings, so both agree. Untrained networks' activations for the control are cached by
architecture, seed and images (`--control_cache`; its size is printed). The report folder is written
beside and renamed into place, so an interrupted run never leaves half a report. `--wandb` also
logs it all to a W&B run (offline unless `--wandb_online`), kept inside the report folder.
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytorch_lightning as pl

from fau_lightning import datamodules
from fau_lightning.analysis.alignment import AlignmentSettings
from fau_lightning.analysis.controls import cache_size, clear_cache, default_control_cache, untrained_copy
from fau_lightning.analysis.network import AnalysisSettings, NetworkAnalysis, analyse_network
from fau_lightning.analysis.verdict import verdict_line
from fau_lightning.cli.common import CommandParser, config_args, exit_on_input_error, split_at_double_dash
from fau_lightning.cli.progress import StageProgress
from fau_lightning.cli.train import build_config
from fau_lightning.datamodules import FaceDataModule
from fau_lightning.datasets.probe import ProbeSet
from fau_lightning.errors import SettingError
from fau_lightning.tasks import FaceTask, load_task, read_checkpoint
from fau_lightning.viz.alignment_table import COLUMNS, table_rows
from fau_lightning.viz.figures import confusion_matrix_image
from fau_lightning.viz.network_report import report_figures, report_numbers, write_report


def _test(task: FaceTask, datamodule) -> dict:
    """The test split through the Trainer: its metrics, and for classifiers the confusion matrix."""
    trainer = pl.Trainer(
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    metrics = {k: float(v) for k, v in trainer.test(task, datamodule=datamodule, verbose=False)[0].items()}
    confusion = getattr(task, "last_confusion", {}).get("test")
    return {"metrics": metrics, **({"confusion": confusion.tolist()} if confusion is not None else {})}


def log_to_wandb(numbers: dict, analysis: NetworkAnalysis, report: Path, project: str, online: bool) -> str:
    """Log the report's numbers, figures and alignment table to a new W&B run (offline unless
    `online`); returns the run's folder.
    """
    import wandb

    run = wandb.init(
        project=project,
        dir=str(report),
        mode="online" if online else "offline",
        job_type="analysis",
        config={"checkpoint": numbers["checkpoint"]},
    )
    try:
        scalars = dict(numbers["test"]["metrics"]) if numbers.get("test") else {}
        scalars.update({k: v for k, v in numbers["fau"].items() if k.startswith("fau/")})
        images = {f"report/{png.stem}": wandb.Image(str(png)) for png in sorted(report.glob("*.png"))}
        run.log({**scalars, **images})
        if analysis.fau is not None and analysis.fau.verdicts:
            run.log({"fau/alignment": wandb.Table(columns=COLUMNS, data=table_rows(analysis.fau))})
        return str(Path(run.dir).parent)
    finally:
        run.finish()


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
    shared = datamodule.subjects("train") & extra.subjects()
    if shared:
        raise SettingError(
            f"--extra_evidence {args.extra_evidence}: its data holds {len(shared)} training subject(s), "
            f"e.g. {sorted(shared)[0]}; evidence must come from people the network never saw"
        )
    return ProbeSet.concatenate([extra.probe_set(stage) for stage in ("train", "val", "test")])


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    exit_on_input_error("fau-analyze", lambda: _analyze(argv))


def _parser() -> CommandParser:
    parser = CommandParser("fau-analyze", __doc__)
    defaults, alignment = AnalysisSettings(), AlignmentSettings()
    parser.add_argument("checkpoint", nargs="?", help="the trained model (leave out with --untrained)")
    parser.add_argument(
        "--untrained", type=int, default=None, metavar="SEED", help="analyse --config's network untrained, from SEED"
    )
    parser.add_argument(
        "--config", action="append", default=None, help="data config (default: the one the checkpoint records)"
    )
    parser.add_argument("--output", type=Path, default=None, help="report folder (default: <checkpoint>.report/)")
    parser.add_argument(
        "--extra_evidence",
        default=None,
        metavar="CONFIG",
        help="a config whose data section, laid over the data, reads further people the network never trained "
        "on; all of them join the held-out evidence (the built-in set already adds its evidence_subjects)",
    )
    parser.add_argument("--layer", default=defaults.layer, help="the layer analysed: relu1, relu2 or relu3")
    parser.add_argument("--num_filters", type=int, default=defaults.num_filters, help="most selective filters shown")
    parser.add_argument("--top_k", type=int, default=defaults.top_k, help="patches shown per filter and AU")
    parser.add_argument(
        "--method", default=defaults.method, choices=["deconvnet", "guided_backprop"], help="projection to pixels"
    )
    parser.add_argument(
        "--cells", type=int, default=alignment.cells, help="units per side of each map: 2 = quadrants, 1 = whole maps"
    )
    parser.add_argument(
        "--top_k_sequences", type=int, default=alignment.top_k, help="held-out sequences per unit in the region test"
    )
    parser.add_argument(
        "--min_sequences", type=int, default=alignment.min_sequences, help="sequences an AU needs to be tested"
    )
    parser.add_argument("--shuffles", type=int, default=alignment.shuffles, help="sequence shuffles per chance line")
    parser.add_argument(
        "--strong_auroc",
        type=float,
        default=alignment.strong_auroc,
        help="within-emotion AUROC from which a recovered AU is strong",
    )
    parser.add_argument(
        "--clear_auroc", type=float, default=alignment.clear_auroc, help="and from which it is clear (below: weak)"
    )
    parser.add_argument(
        "--control_seeds", type=int, default=defaults.control_seeds, help="untrained networks (seeds 0..N-1)"
    )
    parser.add_argument(
        "--control_cache", type=Path, default=default_control_cache(), help="where their activations are cached"
    )
    parser.add_argument("--clear_cache", action="store_true", help="delete the control cache's entries first")
    parser.add_argument("--wandb", action="store_true", help="also log the report to an offline W&B run")
    parser.add_argument("--wandb_project", default="fau_lightning", help="W&B project of that run")
    parser.add_argument("--wandb_online", action="store_true", help="log online instead of offline")
    return parser


def _analyze(argv: list[str]) -> None:
    own, overrides = split_at_double_dash(argv)
    parser = _parser()
    args = parser.parse_args(own)
    if args.clear_cache:
        entries, size = clear_cache(args.control_cache)
        print(f"control cache {args.control_cache}: removed {entries} entries ({size / 1e6:.0f} MB)")
        if args.checkpoint is None and args.untrained is None:
            return
    if (args.checkpoint is None) == (args.untrained is None):
        parser.error("give a checkpoint or --untrained SEED (one of them)")
    if args.untrained is not None and (args.output is None or args.config is None):
        parser.error("--untrained needs --config and --output")
    data_args = [*(config_args(args.config) if args.config else checkpoint_data_args(args.checkpoint)), *overrides]
    progress = StageProgress("fau-analyze")
    progress.note("reading the data")
    cli = build_config(data_args)
    datamodule = cli.datamodule
    datamodule.prepare_data()
    datamodule.setup("fit")
    extra = _extra_people(args, data_args, datamodule)
    if args.checkpoint is not None:
        task, source = load_task(args.checkpoint), args.checkpoint
    else:
        task, source = cli.model, f"untrained, seed {args.untrained}"
        task.model.load_state_dict(untrained_copy(task.model, args.untrained).state_dict())
    output = args.output or Path(args.checkpoint).with_suffix(".report")
    partial = output.with_name(f".{output.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    entries, size = cache_size(args.control_cache)
    progress.note(f"control cache {args.control_cache}: {entries} entries, {size / 1e6:.0f} MB")
    progress.note("testing")
    test = _test(task, datamodule)
    selection, evidence = datamodule.analysis_probes()
    if extra is not None:
        evidence = ProbeSet.concatenate([evidence, extra])
    settings = AnalysisSettings(
        args.layer,
        AlignmentSettings(
            args.top_k_sequences,
            args.min_sequences,
            args.shuffles,
            cells=args.cells,
            strong_auroc=args.strong_auroc,
            clear_auroc=args.clear_auroc,
        ),
        args.control_seeds,
        args.num_filters,
        args.top_k,
        args.method,
    )
    model = task.model.eval()
    analysis = analyse_network(model, selection, evidence, settings, args.control_cache, progress=progress)
    progress.note("drawing the report")
    numbers = report_numbers(analysis, source, test, f"{type(datamodule).__name__} has no FACS AU labels")
    figures = report_figures(model, analysis)
    if "confusion" in test:
        title = f"test accuracy {test['metrics'].get('test/acc', float('nan')):.3f}"
        figures["confusion"] = confusion_matrix_image(np.array(test["confusion"]), task.class_names, title)
    write_report(partial, numbers, figures, analysis.fau)
    shutil.rmtree(output, ignore_errors=True)
    partial.rename(output)
    metrics = test["metrics"]
    print("test " + ", ".join(f"{k.removeprefix('test/')} {v:.4f}" for k, v in metrics.items() if k.count("/") == 1))
    if analysis.fau is not None:
        fau = numbers["fau"]
        print(
            f"tests passed ({int(fau['fau/tested_aus'])} AUs tested): above chance {int(fau['fau/above_chance_aus'])}, "
            f"above {fau['controls']} untrained networks {int(fau['fau/above_control_aus'])}, within emotion "
            f"{int(fau['fau/within_emotion_aus'])}, in region {int(fau['fau/region_aus'])}; "
            f"held-out mean AUROC {fau['fau/mean_heldout_auroc']:.3f}"
        )
        print(verdict_line(analysis.fau))
    print(f"report: {output / 'report.html'}")
    if args.wandb:
        print(f"W&B run: {log_to_wandb(numbers, analysis, output, args.wandb_project, args.wandb_online)}")


if __name__ == "__main__":
    main()
