"""The GPU check in one command: CUDA tests, the speed benchmark, one paper-protocol split and the
ten-split table, each stage under its own time limit, written to docs/benchmarks/<gpu name>.md.

    python scripts/gpu_check.py             # on a GPU machine (scripts/gpu_check.sh installs first)
    python scripts/gpu_check.py --smoke     # the same stages on a CPU at toy size (in the test suite)

A stage that fails or runs out of time is recorded as such and the next one starts, so one slow stage
cannot eat the others' time. Every figure is measured in this run; nothing is projected.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fau_lightning.evaluation.task_reports import report_of

REPO = Path(__file__).resolve().parents[1]
CHECKPOINT_CALLBACKS = json.dumps(
    [
        {"class_path": "fau_lightning.callbacks.BestValidationCheckpoint"},
        {"class_path": "fau_lightning.callbacks.RandomStateCheckpoint"},
    ]
)
TINY_DATA = [  # the smoke run's data: a small built-in set at 32x32 (its folder is added in `stages`)
    "--data.init_args.synthetic.num_subjects=12",
    "--data.init_args.synthetic.frame_width=160",
    "--data.init_args.synthetic.min_frames=4",
    "--data.init_args.synthetic.max_frames=5",
    "--data.init_args.evidence_subjects=0",
    "--data.init_args.image_size=32",
]


@dataclass
class Stage:
    name: str
    command: list[str]
    limit_s: int | None  # None: no limit (the CPU rehearsal times nothing)
    seconds: float = 0.0
    status: str = "not run"
    output: str = ""
    figures: dict = field(default_factory=dict)


def run_stage(stage: Stage, log: Path) -> Stage:
    """Run one stage under its time limit; its whole output goes to `log`."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "PYTHONUNBUFFERED": "1"}
    try:
        done = subprocess.run(stage.command, cwd=REPO, env=env, capture_output=True, text=True, timeout=stage.limit_s)
        stage.output = done.stdout + done.stderr
        stage.status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
    except subprocess.TimeoutExpired as late:
        stage.output = (late.stdout or b"").decode(errors="replace") + (late.stderr or b"").decode(errors="replace")
        stage.status = f"stopped at its {stage.limit_s} s limit"
    stage.seconds = time.perf_counter() - start
    with open(log, "a") as f:
        f.write(f"\n===== {stage.name}: {stage.status}, {stage.seconds:.1f} s =====\n{stage.output}")
    print(f"gpu_check: {stage.name}: {stage.status} in {stage.seconds:.1f} s", flush=True)
    return stage


def stages(smoke: bool, work: Path) -> list[Stage]:
    """The check's stages: toy sizes on a CPU with `smoke` (no time limits: a busy machine must not fail
    them), the real ones on a GPU otherwise, each under its limit.
    """

    def limit(seconds: int) -> int | None:
        return None if smoke else seconds

    py = sys.executable
    data = [*TINY_DATA, f"--data.init_args.root={work / 'tiny_set'}"] if smoke else ["--data.init_args.image_size=96"]
    trainer = [
        "--trainer",
        "configs/trainer/paper.yaml",
        f"--trainer.callbacks={CHECKPOINT_CALLBACKS}",
        "--trainer.enable_progress_bar=false",
        *(["--trainer.max_steps=6", "--trainer.val_check_interval=3"] if smoke else []),
    ]
    speed_configs = [] if smoke else ["--config", "configs/speed/device_data.yaml"]  # fau-crossval's own --config
    speed_settings = [] if smoke else ["--trainer.precision=bf16-mixed"]  # overrides, after fau-crossval's `--`
    split = ["--config", "configs/synthetic.yaml", *speed_configs, *speed_settings, *data, *trainer]
    split.append("--trainer.logger=false")
    benchmark = [py, "scripts/benchmark.py"]
    if smoke:
        benchmark += ["--ci", "--output", str(work / "benchmark.md")]
        batches = [benchmark[:2] + ["--ci", "--batch_size", "32", "--output", str(work / "batch_32.md")]]
    else:
        benchmark += [
            "--device", "cuda", "--image_sizes", "96", "--pipelines", "workers", "device",
            "--precisions", "32-true", "bf16-mixed", "16-mixed", "--options", "channels_last",
            "--steps", "60", "--warmup", "10", "--repeats", "1", "--output", str(work / "benchmark.md"),
        ]  # fmt: skip
        batches = [
            [py, "scripts/benchmark.py", "--device", "cuda", "--image_sizes", "96", "--pipelines", "device",
             "--precisions", "bf16-mixed", "--options", "--steps", "60", "--warmup", "10", "--repeats", "1",
             "--batch_size", str(b), "--output", str(work / f"batch_{b}.md")]
            for b in (256, 1024)
        ]  # fmt: skip
    return [
        Stage("cuda tests", [py, "-m", "pytest", "-q", "-m", "cuda", "-p", "no:cacheprovider", "tests/gpu"], limit(90)),
        Stage("benchmark", benchmark, limit(120)),
        *[Stage(f"batch {c[c.index('--batch_size') + 1]}", c, limit(45)) for c in batches],
        Stage(
            "one paper-protocol split",
            [
                py,
                "-m",
                "fau_lightning",
                "fit",
                *split,
                "--test_after_fit=true",
                f"--results_json={work / 'split.json'}",
                f"--checkpoint_dir={work / 'split_checkpoints'}",
            ],
            limit(150),
        ),  # fmt: skip
        Stage(
            "ten-split table",
            [
                py,
                "-m",
                "fau_lightning.cli.crossval",
                "--config",
                "configs/synthetic.yaml",
                *speed_configs,
                "--folds",
                "0,1" if smoke else "all",
                "--parallel",
                "2" if smoke else "5",
                *([] if smoke else ["--devices", "0"]),
                "--output",
                str(work / "crossval"),
                "--restart",
                "--",
                *speed_settings,
                *data,
                *trainer,
            ],
            limit(240),
        ),  # fmt: skip
    ]


def machine() -> dict:
    import torch

    info = {"python": platform.python_version(), "torch": torch.__version__, "cpu cores": os.cpu_count()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
        smi = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version,memory.total", "--format=csv,noheader"],
            capture_output=True, text=True,
        )  # fmt: skip
        info["driver, memory"] = smi.stdout.strip() or "nvidia-smi not readable"
    else:
        info["gpu"] = "none (CPU)"
    return info


def report(info: dict, done: list[Stage], work: Path, smoke: bool) -> str:
    lines = [f"# GPU check: {info['gpu']}{' (smoke run on a CPU, toy sizes)' if smoke else ''}", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += ["", "| stage | status | seconds | limit |", "|---|---|---|---|"]
    lines += [f"| {s.name} | {s.status} | {s.seconds:.1f} | {s.limit_s or 'none'} |" for s in done]
    tests = next((s for s in done if s.name == "cuda tests"), None)
    summary = re.findall(r"^\d+ (?:passed|skipped|failed).*$", tests.output, re.M) if tests else []
    lines += ["", f"CUDA tests: {summary[-1] if summary else 'no summary line'}"]
    split = work / "split.json"
    if split.exists():
        record = json.loads(split.read_text())
        seconds = next(s.seconds for s in done if s.name == "one paper-protocol split")
        lines += [
            "",
            f"One paper-protocol split: {seconds:.1f} s wall, test {report_of(record).headline_text(record['metrics'])}",
        ]
    table = work / "crossval" / "summary.md"
    if table.exists():
        seconds = next(s.seconds for s in done if s.name == "ten-split table")
        lines += ["", f"Split table ({seconds:.1f} s wall):", "", table.read_text().strip()]
    for name in ["benchmark.md", *sorted(p.name for p in work.glob("batch_*.md"))]:
        if (work / name).exists():
            lines += ["", f"From `{name}`:", "", (work / name).read_text().strip()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="toy sizes on a CPU: the stages run, nothing is timed")
    parser.add_argument("--output", type=Path, default=None, help="the report (default: docs/benchmarks/<gpu>.md)")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "gpu_check", help="scratch folder")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    if not args.smoke and info["gpu"].startswith("none"):
        print("gpu_check: no CUDA GPU here; use --smoke for the CPU rehearsal", file=sys.stderr)
        return 2
    log = args.work / "gpu_check.log"
    log.write_text("")
    done = [run_stage(stage, log) for stage in stages(args.smoke, args.work)]
    name = re.sub(r"[^A-Za-z0-9]+", "_", info["gpu"]).strip("_")
    output = args.output or REPO / "docs" / "benchmarks" / f"{name}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(info, done, args.work, args.smoke))
    print(f"gpu_check: report in {output}; every stage's output in {log}")
    return 0 if all(s.status == "ok" for s in done) else 1


if __name__ == "__main__":
    sys.exit(main())
