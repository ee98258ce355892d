"""`fau-analyze CHECKPOINT --config ...`: the whole analysis of a trained model as a self-contained report.

    fau-analyze runs/.../best.ckpt --config configs/synthetic.yaml [--output report/] [--stage train]
                [-- any fau-train overrides, e.g. --data.fold 3]

Writes `report.html` with its PNG figures (test confusion matrix, per-class accuracy, top-K patches
and deconvnet reconstructions of the most selective filters, conv1 filters, the filters x AUs AUROC
heatmap, each AU's best filter with its patches), `report.json` with every number and
`fau_alignment.md`. The report folder is written beside and renamed into place, so an interrupted
run never leaves half a report. `--wandb` also logs it all to a W&B run (offline unless
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
import torch

from fau_lightning.analysis.alignment import summary_numbers, top_k_images
from fau_lightning.analysis.figures import confusion_matrix_image, heatmap_image, image_grid, labelled_rows_image
from fau_lightning.analysis.receptive_field import receptive_field
from fau_lightning.analysis.report import fau_alignment, filter_patches, filter_report, layer_maxima
from fau_lightning.data.facs import ACTION_UNITS
from fau_lightning.tasks import ExpressionClassifier


def _save_png(folder: Path, name: str, image: np.ndarray) -> str:
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    cv2.imwrite(str(folder / name), bgr)
    return name


@torch.no_grad()
def _test_confusion(model: torch.nn.Module, datamodule, num_classes: int) -> np.ndarray:
    matrix = np.zeros((num_classes, num_classes), np.int64)
    model.eval()
    for images, targets in datamodule.test_dataloader():
        predicted = model(images).argmax(dim=1)
        np.add.at(matrix, (targets.numpy(), predicted.numpy()), 1)
    return matrix


def analyse(checkpoint: str, datamodule, output: Path, stage: str, layer: str, num_filters: int, top_k: int, method: str) -> dict:
    """Run everything and write the report into `output` (a fresh folder); returns the numbers."""
    task = ExpressionClassifier.load_from_checkpoint(checkpoint, map_location="cpu")
    model = task.model.eval()
    names = task.class_names
    output.mkdir(parents=True)
    confusion = _test_confusion(model, datamodule, len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.diag(confusion) / confusion.sum(axis=1)
    accuracy = float(np.trace(confusion) / max(confusion.sum(), 1))
    figures = {"confusion": _save_png(output, "confusion.png", confusion_matrix_image(confusion, names, f"test accuracy {accuracy:.3f}"))}
    probe = datamodule.probe_set(stage)
    maxima = layer_maxima(model, probe, layer)
    filters = filter_report(model, probe, layer, num_filters, top_k, method, maxima=maxima)
    figures["patches"] = _save_png(output, "top_patches.png", image_grid([p for f in filters.filters for p in filters.patches[f]], top_k))
    figures["projections"] = _save_png(output, f"{method}.png", image_grid([filters.projections[f] for f in filters.filters], len(filters.filters), 64))
    conv1 = list(model.features.conv1.weight.detach().numpy()[:, 0])
    figures["conv1"] = _save_png(output, "conv1_filters.png", image_grid(conv1, 16, tile_size=20))
    numbers: dict = {
        "checkpoint": checkpoint,
        "test": {"accuracy": accuracy, "per_class": dict(zip(names, map(float, per_class), strict=True)), "confusion": confusion.tolist()},
        "filters": {"layer": layer, "most_selective": filters.filters, "method": method},
        "probe": {"stage": stage, "images": len(probe.images)},
    }
    if probe.has_aus:
        fau = fau_alignment(model, probe, layer, maxima=maxima)
        numbers["fau"] = {"alignments": [{**asdict(a), "recovered": a.recovered} for a in fau.alignments], **summary_numbers(fau.alignments)}
        if fau.alignments:
            best = sorted({a.best_filter for a in fau.alignments})
            heat = heatmap_image(fau.auroc[best], [f"f{f}" for f in best], [f"AU{au}" for au in fau.au_codes], "AUROC, each AU's best filter")
            figures["fau"] = _save_png(output, "fau_auroc.png", heat)
            rf, top = receptive_field(model.features, layer), top_k_images(maxima.values, top_k)
            rows = [filter_patches(probe.images, rf, maxima, a.best_filter, top[a.best_filter]) for a in fau.alignments]
            labels = [f"AU{a.au} f{a.best_filter}" for a in fau.alignments]
            title = f"Top-{top_k} patches of each AU's best {layer} filter"
            figures["au_patches"] = _save_png(output, "au_best_filters.png", labelled_rows_image(rows, labels, title=title))
    else:
        numbers["fau"] = {"skipped": f"{type(datamodule).__name__} has no FACS AU labels"}
    (output / "report.json").write_text(json.dumps(numbers, indent=2, default=float))
    if "alignments" in numbers["fau"]:
        (output / "fau_alignment.md").write_text(alignment_markdown(numbers["fau"]["alignments"]))
    (output / "report.html").write_text(_html(numbers, figures))
    return numbers


def alignment_markdown(alignments: list[dict]) -> str:
    """The per-AU table as Markdown (`AUAlignment.recovered`: above chance and spatial > 0.5)."""
    lines = [
        "| AU | name | images | best filter | AUROC | chance (95 %) | spatial | recovered | found in | partner AU (share) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for a in alignments:
        name = ACTION_UNITS[a["au"]].name if a["au"] in ACTION_UNITS else ""
        lines.append(
            f"| {a['au']} | {name} | {a['support']} | {a['best_filter']} | {a['auroc']:.3f} | {a['chance']:.3f} | {a['spatial']:.2f} | "
            f"{'**yes**' if a['recovered'] else 'no'} | {a['found_in']} | {a['partner']} ({a['partner_share']:.2f}) |"
        )
    count = sum(a["recovered"] for a in alignments)
    return "\n".join(lines) + f"\n\n{count} of {len(alignments)} AUs recovered.\n"


def log_to_wandb(numbers: dict, report: Path, project: str, online: bool) -> str:
    """Log the report's numbers, figures and alignment table to a new W&B run (offline unless
    `online`); returns the run's folder."""
    import wandb

    run = wandb.init(project=project, dir=str(report), mode="online" if online else "offline", job_type="analysis", config={"checkpoint": numbers["checkpoint"]})
    try:
        scalars = {"test/acc": numbers["test"]["accuracy"], **{f"test/acc_class/{k}": v for k, v in numbers["test"]["per_class"].items()}}
        scalars.update({k: v for k, v in numbers["fau"].items() if k.startswith("fau/")})
        images = {f"report/{png.stem}": wandb.Image(str(png)) for png in sorted(report.glob("*.png"))}
        run.log({**scalars, **images})
        if "alignments" in numbers["fau"]:
            columns = list(numbers["fau"]["alignments"][0])
            run.log({"fau/alignment": wandb.Table(columns=columns, data=[[a[c] for c in columns] for a in numbers["fau"]["alignments"]])})
        return str(Path(run.dir).parent)
    finally:
        run.finish()


def _html(numbers: dict, figures: dict[str, str]) -> str:
    test = numbers["test"]
    rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{100 * a:.1f}</td></tr>" for n, a in test["per_class"].items())
    fau = numbers["fau"]
    if "alignments" in fau:
        head = (
            "<tr><th>AU</th><th>name</th><th>images</th><th>best filter</th><th>AUROC</th><th>chance (95%)</th><th>aligned</th>"
            "<th>top-K lift</th><th>spatial</th><th>found in</th><th>partner AU (share)</th></tr>"
        )
        body = "".join(
            f"<tr><td>{a['au']}</td><td>{html.escape(ACTION_UNITS[a['au']].name if a['au'] in ACTION_UNITS else '')}</td>"
            f"<td>{a['support']}</td><td>{a['best_filter']}</td><td>{a['auroc']:.3f}</td><td>{a['chance']:.3f}</td>"
            f"<td>{'yes' if a['aligned'] else 'no'}</td><td>{a['lift']:.2f}</td><td>{a['spatial']:.2f}</td>"
            f"<td>{html.escape(a['found_in'])}</td><td>{a['partner']} ({a['partner_share']:.2f})</td></tr>"
            for a in fau["alignments"]
        )
        fau_html = (
            f"<p>Mean best-filter AUROC {fau['fau/mean_best_auroc']:.3f}; {int(fau['fau/aligned_aus'])} of "
            f"{int(fau['fau/supported_aus'])} AUs above the permutation baseline.</p><table>{head}{body}</table>"
            + "<p><i>spatial</i>: share of the best filter's top activations (receptive-field centres) inside the AU's region; "
            "<i>found in</i>: the region nearest most of them; <i>partner</i>: the AU most often present with this one. "
            "A filter found in its partner's region predicts the AU through the partner.</p>"
            + "".join(f"<img src='{figures[k]}'>" for k in ("fau", "au_patches") if k in figures)
        )
    else:
        fau_html = f"<p>{html.escape(fau['skipped'])}.</p>"
    return f"""<!doctype html><meta charset="utf-8"><title>fau_lightning report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}td,th{{padding:2px 8px;text-align:right}}img{{max-width:100%}}</style>
<h1>fau_lightning report</h1><p>Checkpoint: <code>{html.escape(numbers['checkpoint'])}</code></p>
<h2>Test split</h2><p>Accuracy {100 * test['accuracy']:.1f} %</p><img src="{figures['confusion']}">
<table><tr><th>class</th><th>accuracy (%)</th></tr>{rows}</table>
<h2>Filters of {numbers['filters']['layer']}</h2><p>The most selective filters on the {numbers['probe']['stage']} split
({numbers['probe']['images']} images), one row each: their top-K image patches,</p><img src="{figures['patches']}">
<p>and each one's strongest activation projected to pixels ({numbers['filters']['method']}):</p><img src="{figures['projections']}">
<h3>conv1 filters</h3><img src="{figures['conv1']}">
<h2>FAU alignment</h2>{fau_html}
"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    overrides = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="fau-analyze", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--config", action="append", required=True, help="the config the model was trained with")
    parser.add_argument("--output", type=Path, default=None, help="report folder (default: <checkpoint>.report/)")
    parser.add_argument("--stage", default="train", choices=["train", "val", "test"], help="split probed for filters and AUs")
    parser.add_argument("--layer", default="relu3")
    parser.add_argument("--num_filters", type=int, default=8)
    parser.add_argument("--top_k", type=int, default=9)
    parser.add_argument("--method", default="deconvnet", choices=["deconvnet", "guided_backprop"])
    parser.add_argument("--wandb", action="store_true", help="also log the report to a W&B run (offline, inside the report folder)")
    parser.add_argument("--wandb_project", default="fau_lightning")
    parser.add_argument("--wandb_online", action="store_true", help="log online instead of offline")
    args = parser.parse_args(own)
    from fau_lightning.cli import run_cli

    config = [a for path in args.config for a in ("--config", path)]
    cli = run_cli([*config, *overrides, "--trainer.logger=false"], run=False, save_config_callback=None)
    datamodule = cli.datamodule
    datamodule.prepare_data()
    datamodule.setup("fit")
    output = args.output or Path(args.checkpoint).with_suffix(".report")
    partial = output.with_name(f".{output.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    numbers = analyse(args.checkpoint, datamodule, partial, args.stage, args.layer, args.num_filters, args.top_k, args.method)
    shutil.rmtree(output, ignore_errors=True)
    partial.rename(output)
    fau = numbers["fau"]
    print(f"test accuracy {numbers['test']['accuracy']:.4f}")
    if "alignments" in fau:
        recovered = [a["au"] for a in fau["alignments"] if a["recovered"]]
        print(f"FAU alignment: {int(fau['fau/aligned_aus'])} of {int(fau['fau/supported_aus'])} AUs above chance")
        print(f"recovered (above chance, top activations in the AU's region): {len(recovered)}, AUs {recovered}")
    print(f"report: {output / 'report.html'}")
    if args.wandb:
        print(f"W&B run: {log_to_wandb(numbers, output, args.wandb_project, args.wandb_online)}")


if __name__ == "__main__":
    main()
