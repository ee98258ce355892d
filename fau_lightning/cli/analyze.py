"""`fau-analyze CHECKPOINT --config ...`: the whole analysis of a trained model as a self-contained report.

    fau-analyze runs/.../best.ckpt --config configs/synthetic.yaml [--output report/]
                [-- any fau-train overrides, e.g. --data.fold 3]
    fau-analyze --untrained 100 --config configs/synthetic.yaml     (the same analysis of an untrained network)

Writes `report.html` with its PNG figures (test metrics and confusion matrix, top-K patches and
deconvnet reconstructions of the most selective filters, conv1 filters, the held-out AUROC heatmap
of each AU's best unit, each best unit's held-out patches), `report.json` with every number and
`fau_alignment.md`, the per-AU verdict (docs/fau_alignment.md defines it). Untrained networks'
activations for the control are cached by architecture, seed and data (`--control_cache`). The
report folder is written beside and renamed into place, so an interrupted run never leaves half a
report. `--wandb` also logs it all to a W&B run (offline unless
`--wandb_online`), kept inside the report folder.
"""

import argparse
import html
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytorch_lightning as pl

from fau_lightning.analysis.alignment import AlignmentSettings, summary_numbers
from fau_lightning.analysis.alignment_table import (
    COLUMNS,
    html_table,
    markdown_table,
    table_rows,
)
from fau_lightning.analysis.controls import untrained_copy
from fau_lightning.analysis.report import (
    FAUReport,
    analysis_probes,
    best_unit_heatmap,
    best_unit_patches,
    default_control_cache,
    fau_alignment,
    filter_report,
    prepare_evidence,
    probe_maxima,
)
from fau_lightning.cli.common import build_config, config_args, exit_on_input_error, split_at_double_dash
from fau_lightning.tasks import FaceTask, load_task
from fau_lightning.viz.figures import (
    confusion_matrix_image,
    image_grid,
    labelled_rows_image,
)
from fau_lightning.viz.report_page import report_page


def _save_png(folder: Path, name: str, image: np.ndarray) -> str:
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    cv2.imwrite(str(folder / name), bgr)
    return name


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


def analyse(
    task: FaceTask, source: str, datamodule, output: Path, options: argparse.Namespace, extra_evidence=None
) -> tuple[dict, FAUReport | None]:
    """Run everything and write the report into `output` (a fresh folder); returns the numbers and the FAU verdicts.

    `extra_evidence`: a datamodule of further subjects, all added to the held-out evidence.
    """
    model = task.model.eval()
    layer, top_k = options.layer, options.top_k
    output.mkdir(parents=True)
    test = _test(task, datamodule)
    figures = {}
    if "confusion" in test:
        confusion = np.array(test["confusion"])
        title = f"test accuracy {test['metrics'].get('test/acc', float('nan')):.3f}"
        figures["confusion"] = _save_png(
            output, "confusion.png", confusion_matrix_image(confusion, task.class_names, title)
        )
    selection, evidence = analysis_probes(datamodule, extra_evidence=extra_evidence)
    settings = AlignmentSettings(options.top_k_sequences, options.min_sequences, options.shuffles, cells=options.cells)
    maxima = probe_maxima(model, selection, evidence, layer, settings.cells)
    filters = filter_report(model, selection, layer, options.num_filters, top_k, options.method, maxima=maxima[0])
    figures["patches"] = _save_png(
        output, "top_patches.png", image_grid([p for f in filters.filters for p in filters.patches[f]], top_k)
    )
    figures["projections"] = _save_png(
        output,
        f"{options.method}.png",
        image_grid([filters.projections[f] for f in filters.filters], len(filters.filters), 64),
    )
    conv1 = list(model.features.conv1.weight.detach().cpu().numpy()[:, 0])
    figures["conv1"] = _save_png(output, "conv1_filters.png", image_grid(conv1, 16, tile_size=20))
    numbers: dict = {
        "checkpoint": source,
        "test": test,
        "filters": {"layer": layer, "most_selective": filters.filters, "method": options.method},
        "probe": {"selection_images": len(selection), "evidence_images": len(evidence)},
    }
    if selection.has_aus:
        seeds = list(range(options.control_seeds))
        prepared = prepare_evidence(model, selection, evidence, layer, settings, seeds, options.control_cache)
        fau = fau_alignment(model, prepared, layer, settings, maxima)
        numbers["fau"] = {
            "alignments": [{**asdict(v), "recovered": v.recovered} for v in fau.verdicts],
            **summary_numbers(fau.verdicts),
            "controls": fau.controls,
            "merged_regions": [list(group) for group in fau.merged_regions],
            "settings": asdict(settings),
        }
        if fau.verdicts:
            figures["fau"] = _save_png(output, "fau_auroc.png", best_unit_heatmap(fau, layer))
            rows = best_unit_patches(model, fau, evidence.images, maxima[1], layer, top_k)
            labels = [f"AU{v.au} {v.unit}" for v in fau.verdicts]
            title = f"Top-{top_k} held-out patches of each AU's best {layer} unit"
            figures["au_patches"] = _save_png(
                output, "au_best_units.png", labelled_rows_image(rows, labels, title=title)
            )
            (output / "fau_alignment.md").write_text(markdown_table(fau.verdicts))
    else:
        numbers["fau"] = {"skipped": f"{type(datamodule).__name__} has no FACS AU labels"}
        fau = None
    (output / "report.json").write_text(json.dumps(numbers, indent=2, default=float))
    (output / "report.html").write_text(report_page(numbers, figures, _fau_section(numbers, figures, fau)))
    return numbers, fau


def log_to_wandb(numbers: dict, fau: FAUReport | None, report: Path, project: str, online: bool) -> str:
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
        scalars = dict(numbers["test"]["metrics"])
        scalars.update({k: v for k, v in numbers["fau"].items() if k.startswith("fau/")})
        images = {f"report/{png.stem}": wandb.Image(str(png)) for png in sorted(report.glob("*.png"))}
        run.log({**scalars, **images})
        if fau is not None and fau.verdicts:
            run.log({"fau/alignment": wandb.Table(columns=COLUMNS, data=table_rows(fau.verdicts))})
        return str(Path(run.dir).parent)
    finally:
        run.finish()


def _fau_section(numbers: dict, figures: dict[str, str], fau: FAUReport | None) -> str:
    if fau is None:
        return f"<p>{html.escape(numbers['fau']['skipped'])}.</p>"
    s = numbers["fau"]
    images = "".join(f"<img src='{figures[k]}'>" for k in ("fau", "au_patches") if k in figures)
    return (
        f"<p>{int(s['fau/recovered_aus'])} of {int(s['fau/tested_aus'])} AUs recovered. Best units chosen on "
        "the training subjects, judged on held-out subjects against sequence-level chance, within emotion, "
        f"against {fau.controls} untrained "
        f"networks, and by where their response comes from (the facial region whose occlusion lowers it most).</p>"
        + html_table(fau.verdicts)
        + images
    )


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    exit_on_input_error("fau-analyze", lambda: _analyze(argv))


def _analyze(argv: list[str]) -> None:
    own, overrides = split_at_double_dash(argv)
    parser = argparse.ArgumentParser(
        prog="fau-analyze", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("checkpoint", nargs="?", help="the trained model (leave out with --untrained)")
    parser.add_argument(
        "--untrained",
        type=int,
        default=None,
        metavar="SEED",
        help="analyse the config's network with untrained weights drawn from SEED",
    )
    parser.add_argument("--config", action="append", required=True, help="the config the model was trained with")
    parser.add_argument("--output", type=Path, default=None, help="report folder (default: <checkpoint>.report/)")
    parser.add_argument(
        "--extra_evidence",
        default=None,
        metavar="CONFIG",
        help="a config whose data section, laid over --config, reads further subjects the network never trained on; "
        "all of them join the held-out evidence "
        "(configs/synthetic_more_subjects.yaml: 240 more people of the built-in set)",
    )
    parser.add_argument("--layer", default="relu3", help="the layer analysed: relu1, relu2 or relu3 (default)")
    parser.add_argument("--num_filters", type=int, default=8, help="most selective filters shown")
    parser.add_argument("--top_k", type=int, default=9, help="patches shown per filter")
    parser.add_argument(
        "--method",
        default="deconvnet",
        choices=["deconvnet", "guided_backprop"],
        help="how a unit is projected to pixels",
    )
    parser.add_argument(
        "--cells",
        type=int,
        default=2,
        help="units per side of each filter map: 2 = the quadrants fc4 reads, 1 = whole maps",
    )
    parser.add_argument(
        "--top_k_sequences", type=int, default=25, help="held-out sequences per unit for the region test"
    )
    parser.add_argument(
        "--min_sequences", type=int, default=5, help="positive and negative sequences an AU needs to be tested"
    )
    parser.add_argument("--shuffles", type=int, default=1000, help="sequence shuffles per chance distribution")
    parser.add_argument(
        "--control_seeds", type=int, default=10, help="untrained networks (seeds 0..N-1) in the control distribution"
    )
    parser.add_argument(
        "--control_cache", type=Path, default=default_control_cache(), help="where their activations are cached"
    )
    parser.add_argument(
        "--wandb", action="store_true", help="also log the report to a W&B run (offline, inside the report folder)"
    )
    parser.add_argument("--wandb_project", default="fau_lightning", help="W&B project of that run")
    parser.add_argument("--wandb_online", action="store_true", help="log online instead of offline")
    args = parser.parse_args(own)
    if (args.checkpoint is None) == (args.untrained is None):
        parser.error("give a checkpoint or --untrained SEED (one of them)")
    if args.untrained is not None and args.output is None:
        parser.error("--untrained needs --output")
    config = config_args(args.config)
    cli = build_config([*config, *overrides])
    datamodule = cli.datamodule
    datamodule.prepare_data()
    datamodule.setup("fit")
    extra_evidence = None
    if args.extra_evidence is not None:
        extra_evidence = build_config([*config, *overrides, "--config", args.extra_evidence]).datamodule
        extra_evidence.prepare_data()
        shared = datamodule.subjects("train") & extra_evidence.subjects()
        if shared:
            parser.error(
                f"--extra_evidence {args.extra_evidence}: its data holds {len(shared)} training subject(s), "
                f"e.g. {sorted(shared)[0]}; evidence must come from people the network never saw"
            )
    if args.checkpoint is not None:
        task, source = load_task(args.checkpoint), args.checkpoint
    else:
        task, source = cli.model, f"untrained, seed {args.untrained}"
        task.model.load_state_dict(untrained_copy(task.model, args.untrained).state_dict())
    output = args.output or Path(args.checkpoint).with_suffix(".report")
    partial = output.with_name(f".{output.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    numbers, fau_report = analyse(task, source, datamodule, partial, args, extra_evidence)
    shutil.rmtree(output, ignore_errors=True)
    partial.rename(output)
    print(
        "test "
        + ", ".join(
            f"{k.removeprefix('test/')} {v:.4f}"
            for k, v in numbers["test"]["metrics"].items()
            if "/" not in k.removeprefix("test/")
        )
    )
    fau = numbers["fau"]
    if "alignments" in fau:
        recovered = [a["au"] for a in fau["alignments"] if a["recovered"]]
        print(
            f"FAU alignment ({int(fau['fau/tested_aus'])} AUs tested): "
            f"above chance {int(fau['fau/above_chance_aus'])}, "
            f"above {fau['controls']} untrained networks {int(fau['fau/above_control_aus'])}, within emotion "
            f"{int(fau['fau/within_emotion_aus'])}, in region {int(fau['fau/region_aus'])}; "
            f"held-out mean AUROC {fau['fau/mean_heldout_auroc']:.3f}"
        )
        print(f"recovered (all four tests passed): {len(recovered)}, AUs {recovered}")
    print(f"report: {output / 'report.html'}")
    if args.wandb:
        print(f"W&B run: {log_to_wandb(numbers, fau_report, output, args.wandb_project, args.wandb_online)}")


if __name__ == "__main__":
    main()
