"""Throughput and memory of fau_lightning against a hand-written PyTorch loop, measured in one run.

    python scripts/benchmark.py                          # this machine, 48 and 96 px, the full set
    python scripts/benchmark.py --ci                     # CI size: tiny set, few steps, under a minute
    python scripts/benchmark.py --device cuda --pipelines workers device --precisions 32-true bf16-mixed 16-mixed
    python scripts/benchmark.py --output docs/benchmarks/<machine>.md

For each image size it measures, on the same model, data, batch size and thread count:
- training images/s of (a) `fau-train`'s own code path (LightningCLI, our LightningModule and data
  module, validation and logging off) and (b) a minimal hand-written loop doing the same forward,
  loss, backward and SGD step on the same batches; both alternate `--repeats` times and the medians
  are compared, since the machine is shared;
- the speed options (bf16/16-mixed autocast, channels_last, torch.compile) on the Lightning path;
- inference images/s;
- the data pipeline alone, with and without augmentation, against what training consumes;
- peak memory: process RSS on a CPU (data-loader workers not included), allocated memory on a GPU.
Figures are printed as a Markdown table; --output also writes them to a file.
"""

import argparse
import contextlib
import copy
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import pytorch_lightning as pl
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("WANDB_ERROR_REPORTING", "false")

from fau_lightning.cli.train import run_cli  # noqa: E402
from fau_lightning.synthetic.dataset import SyntheticConfig  # noqa: E402

CI_SET = SyntheticConfig(num_subjects=12, seed=3, min_frames=4, max_frames=5, frame_width=160)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class PeakMemory:
    """Peak memory of the block: RSS of this process on a CPU (Linux), allocated bytes on a GPU."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak_mb = float("nan")

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            with contextlib.suppress(OSError):
                Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak RSS
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            self.peak_mb = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            with contextlib.suppress(OSError):
                line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM"))
                self.peak_mb = int(line.split()[1]) / 1024


class Throughput(pl.Callback):
    """Images per second over the training steps after `warmup`."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.images = 0
        self.start: float | None = None
        self.seconds = float("nan")

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module, batch, batch_idx: int) -> None:
        if trainer.global_step == self.warmup and self.start is None:
            synchronize(pl_module.device)
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if self.start is not None:
            self.images += len(batch[1])

    def on_train_end(self, trainer: pl.Trainer, pl_module) -> None:
        synchronize(pl_module.device)
        self.seconds = time.perf_counter() - self.start

    @property
    def rate(self) -> float:
        return self.images / self.seconds


def cli_args(
    args: argparse.Namespace, size: int, root: Path, cache: Path, precision: str, pipeline: str, *extra: str
) -> list[str]:
    out = ["--config", str(REPO / "configs" / "synthetic.yaml")]
    if args.ci:
        out += [f"--data.root={root}", *(f"--data.synthetic.{k}={v}" for k, v in asdict(CI_SET).items())]
    out += [
        f"--data.cache_dir={cache}",
        f"--data.image_size={size}",
        f"--data.batch_size={args.batch_size}",
        f"--data.pipeline={pipeline}",
        f"--data.num_workers={args.num_workers if pipeline == 'workers' else 0}",
        "--trainer.logger=false",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--trainer.limit_val_batches=0",
        "--trainer.num_sanity_val_steps=0",
        "--test_after_fit=false",
        "--trainer.callbacks=[]",
        "--trainer.enable_checkpointing=false",
        f"--trainer.max_steps={args.steps}",
        "--trainer.max_epochs=-1",
        f"--trainer.precision={precision}",
        f"--trainer.accelerator={'gpu' if args.device == 'cuda' else 'cpu'}",
        "--trainer.devices=1",
        f"--trainer.default_root_dir={cache / 'runs'}",
        *extra,
    ]
    return out


def lightning_rate(cli_argv: list[str], warmup: int) -> tuple[float, float, object]:
    """(images/s, peak MB, the CLI) of `fau-train fit` with the given arguments."""
    timer = Throughput(warmup)
    device = torch.device("cuda" if "--trainer.accelerator=gpu" in cli_argv else "cpu")
    with PeakMemory(device) as memory:
        cli = run_cli(["fit", *cli_argv], trainer_defaults={"callbacks": [timer]})
    return timer.rate, memory.peak_mb, cli


def autocast(device: torch.device, precision: str):
    if precision.startswith("bf16") or (precision.startswith("16") and device.type == "cpu"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    if precision.startswith("16"):
        return torch.autocast(device.type, dtype=torch.float16)
    return contextlib.nullcontext()


def handwritten_rate(cli, steps: int, warmup: int, precision: str, device: torch.device) -> tuple[float, float]:
    """The same work without Lightning: a fresh copy of the model, SGD, the same loader."""
    hp = cli.model.hparams
    torch.manual_seed(0)
    model = copy.deepcopy(cli.model.model).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=hp.lr, momentum=hp.momentum, weight_decay=hp.weight_decay)
    scaler = torch.amp.GradScaler(device.type, enabled=precision.startswith("16") and device.type == "cuda")
    loader = cli.datamodule.train_dataloader()
    step, images, start = 0, 0, 0.0
    with PeakMemory(device) as memory:
        while step < steps:
            for x, y in loader:
                if step == warmup:
                    synchronize(device)
                    start = time.perf_counter()
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                with autocast(device, precision):
                    loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                images += len(y) if step >= warmup else 0
                step += 1
                if step == steps:
                    break
        synchronize(device)
    return images / (time.perf_counter() - start), memory.peak_mb


@torch.inference_mode()
def inference_rate(cli, device: torch.device, precision: str, batch_size: int = 256, rounds: int = 3) -> float:
    model = cli.model.to(device).eval()
    images = cli.datamodule.datasets["train"].images[: batch_size * 4].unsqueeze(1).float().div(255).to(device)
    with autocast(device, precision):
        model(images[:batch_size])  # warm-up
        synchronize(device)
        start = time.perf_counter()
        for _ in range(rounds):
            for i in range(0, len(images), batch_size):
                model(images[i : i + batch_size])
        synchronize(device)
    return rounds * len(images) / (time.perf_counter() - start)


def pipeline_rate(cli, augment: bool, batches: int, device: torch.device) -> float:
    """Images/s the training loader alone delivers (on its device, for the device path)."""
    datamodule = cli.datamodule
    datamodule.augment = augment
    datamodule.setup("fit")
    loader = datamodule.train_dataloader()
    count, start, seen = 0, time.perf_counter(), 0
    while seen < batches:
        for _x, y in loader:
            count += len(y)
            seen += 1
            if seen == batches:
                break
    synchronize(device)
    return count / (time.perf_counter() - start)


def machine_name(device: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    name = f"{cpu}, {torch.get_num_threads()} torch threads"
    if device == "cuda":
        name = f"{torch.cuda.get_device_name()} ({name})"
    return f"{name}; torch {torch.__version__}, Lightning {pl.__version__}"


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ci", action="store_true", help="tiny generated set, few steps, one repeat")
    parser.add_argument("--image_sizes", type=int, nargs="+", default=[48, 96])
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=80, help="training steps per measurement")
    parser.add_argument("--warmup", type=int, default=10, help="steps left out of the timing")
    parser.add_argument("--repeats", type=int, default=3, help="Lightning / hand-written alternations")
    parser.add_argument(
        "--precisions", nargs="+", default=["32-true"], help="first is the baseline; others are speed options"
    )
    parser.add_argument(
        "--options", nargs="*", default=["channels_last", "compile"], choices=["channels_last", "compile"]
    )
    parser.add_argument("--pipelines", nargs="+", default=["workers"], choices=["workers", "device"])
    parser.add_argument("--num_workers", type=int, default=0)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--output", type=Path, default=None, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    if args.ci:
        args.image_sizes, args.steps, args.warmup, args.repeats, args.options = [48], 12, 3, 1, []
    if args.threads:
        torch.set_num_threads(args.threads)
    os.chdir(REPO)  # the configs' data paths are relative to the repository
    device = torch.device(args.device)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp) / "ck", Path(tmp) / "cache"
        for size in args.image_sizes:
            base_precision = args.precisions[0]
            for pipeline in args.pipelines:
                lightning, loop, memory = [], [], {}
                for _ in range(args.repeats):
                    rate, memory["lightning"], cli = lightning_rate(
                        cli_args(args, size, root, cache, base_precision, pipeline), args.warmup
                    )
                    lightning.append(rate)
                    rate, memory["loop"] = handwritten_rate(cli, args.steps, args.warmup, base_precision, device)
                    loop.append(rate)
                train = statistics.median(lightning)
                row = {
                    "size": size,
                    "pipeline": pipeline,
                    "precision": base_precision,
                    "lightning": train,
                    "loop": statistics.median(loop),
                }
                row["ratio"] = row["lightning"] / row["loop"]
                row["runs"] = f"Lightning {[round(r) for r in lightning]}, hand-written {[round(r) for r in loop]}"
                row["inference"] = inference_rate(cli, device, base_precision)
                row["data_plain"] = pipeline_rate(cli, False, 30, device)
                row["data_augmented"] = pipeline_rate(cli, True, 30, device)
                row["data_headroom"] = min(row["data_plain"], row["data_augmented"]) / train
                row["peak_mb_lightning"], row["peak_mb_loop"] = memory["lightning"], memory["loop"]
                row["split_minutes"] = 31000 * args.batch_size / train / 60
                rows.append(row)
                print(
                    f"{size}px {pipeline} {base_precision}: ratio {row['ratio']:.3f}; runs: {row['runs']}", flush=True
                )
                variants = [(p, []) for p in args.precisions[1:]] + [
                    (base_precision, [f"--model.{o}=true"]) for o in args.options
                ]
                for precision, extra in variants:
                    rate, peak, _ = lightning_rate(
                        cli_args(args, size, root, cache, precision, pipeline, *extra), args.warmup
                    )
                    label = " + ".join([precision] + [e.split(".")[1].split("=")[0] for e in extra])
                    rows.append(
                        {
                            "size": size,
                            "pipeline": pipeline,
                            "precision": label,
                            "lightning": rate,
                            "vs_baseline": rate / train,
                            "peak_mb_lightning": peak,
                        }
                    )
                    print(
                        f"{size}px {pipeline} {label}: {rate:.0f} img/s, {rate / train:.2f}x the {base_precision} baseline",
                        flush=True,
                    )
    table = to_markdown(rows, machine_name(args.device), args)
    print(table)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(table)
    return rows


def to_markdown(rows: list[dict], machine: str, args: argparse.Namespace) -> str:
    head = [
        f"Machine: {machine}. Batch {args.batch_size}, {args.steps} steps per run after {args.warmup} warm-up steps, "
        f"median of {args.repeats} alternating runs; data-loader workers: {args.num_workers}.",
        "",
        "| size | pipeline | precision | Lightning img/s | hand-written img/s | ratio | inference img/s | data img/s (plain / augmented) | data ÷ training | peak MB (Lightning / loop) | 31k-step split (min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    body, runs = [], ["", "Runs in the order they alternated (img/s):", ""]
    options = [
        "",
        "| size | pipeline | option | Lightning img/s | vs. baseline | peak MB |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "loop" in r:
            body.append(
                f"| {r['size']} | {r['pipeline']} | {r['precision']} | {r['lightning']:.0f} | {r['loop']:.0f} | {r['ratio']:.3f} | {r['inference']:.0f} | "
                f"{r['data_plain']:.0f} / {r['data_augmented']:.0f} | {r['data_headroom']:.1f}× | {r['peak_mb_lightning']:.0f} / {r['peak_mb_loop']:.0f} | {r['split_minutes']:.1f} |"
            )
            runs.append(f"- {r['size']} px, {r['pipeline']}, {r['precision']}: {r['runs']}")
        else:
            options.append(
                f"| {r['size']} | {r['pipeline']} | {r['precision']} | {r['lightning']:.0f} | {r['vs_baseline']:.2f}× | {r['peak_mb_lightning']:.0f} |"
            )
    return "\n".join(head + body + runs + (options if len(options) > 3 else [])) + "\n"


if __name__ == "__main__":
    main()
