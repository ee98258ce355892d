"""`fau-crossval`: every split of a protocol as its own `fau-train` run, then one summary.

    fau-crossval --config configs/ck_plus.yaml [--config configs/variants/cnn_ad.yaml] [--folds 0-9]
                 [--output runs/crossval/NAME] [--parallel N] [--devices 0,1] [-- any fau-train overrides]

On a cluster, each array task runs its own split into one shared folder and writes no summary
(`--folds $TASK_ID --output DIR --no_summary`); once all are done, one `--summary_only` call with the
same configs and `--output` joins them (docs/multi_gpu.md has the SLURM script).

Each split runs `fau-train fit` in a subprocess with `--data.fold k`, testing its best-validation
checkpoint and writing `split_k/result.json` (atomically) when done. A split with a result is
finished and is never run again; a split with a `last.ckpt` resumes from it. So rerunning the same
command after an interruption finishes only what is missing. Each split records the fingerprint of
its resolved settings (everything but the fold and the output paths) in `split_k/settings.json`;
a rerun into a folder holding splits made under other settings stops before training, names what
differs and exits 2 (`--restart` discards them). The default folder is named from the configs and
that fingerprint, so different settings never share one. With a W&B logger every split is a run in
one group (fixed ids, so a resumed split continues its run), plus a `summary` run.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fau_lightning.cli.common import CommandParser, config_args, exit_on_input_error, split_at_double_dash
from fau_lightning.cli.train import build_config
from fau_lightning.errors import SettingError
from fau_lightning.evaluation.crossval_summary import AUSummary, CrossvalSummary
from fau_lightning.evaluation.task_reports import report_of
from fau_lightning.files import cache_key, write_atomically, write_image, write_json_atomically
from fau_lightning.viz.figures import confusion_matrix_image

HEARTBEAT_S = 20.0  # while splits run, each one's latest line is said at least this often


@dataclass(frozen=True)
class Plan:
    config_args: list[str]  # "--config X" pairs, in order
    overrides: list[str]  # passed through to every split
    output: Path
    folds: list[int]
    parallel: int
    devices: list[str]  # accelerator ids to spread splits over; empty on CPU
    group: str
    wandb: dict | None  # the W&B logger's init args, None for other loggers
    settings: dict  # the resolved settings every split shares (flattened, dotted keys)
    fingerprint: str  # short hash of `settings`


# Set per split by split_command, or naming files: not part of what a split's result depends on.
PER_SPLIT_SETTINGS = ("config", "data.init_args.fold", "checkpoint_dir", "results_json", "ckpt_path")
PER_SPLIT_LOGGER_ARGS = ("save_dir", "group", "name", "id", "version")


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def shared_settings(config: dict) -> dict:
    """The settings a split's result depends on: everything but the fold and the output paths."""
    flat = _flatten(config)
    logger_paths = tuple(f"trainer.logger.init_args.{name}" for name in PER_SPLIT_LOGGER_ARGS)
    return {
        k: v for k, v in flat.items() if k not in PER_SPLIT_SETTINGS and not k.startswith(("config.", *logger_paths))
    }


def settings_conflicts(plan: "Plan") -> list[str]:
    """For each split folder made under other settings: which settings differ (empty: none)."""
    conflicts = []
    for folder in sorted(plan.output.glob("split_*")):
        record = folder / "settings.json"
        if not record.exists():
            if (folder / "result.json").exists() or (folder / "checkpoints").exists():
                conflicts.append(f"{folder.name} has no record of its settings")
            continue
        theirs = json.loads(record.read_text())
        if theirs["fingerprint"] == plan.fingerprint:
            continue
        old, new = theirs["settings"], plan.settings
        differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        changes = ", ".join(f"{k} {old.get(k, '(unset)')!r} -> {new.get(k, '(unset)')!r}" for k in differ[:4])
        more = f" and {len(differ) - 4} more" if len(differ) > 4 else ""
        conflicts.append(f"{folder.name} ran with other settings ({changes}{more})")
    return conflicts


def parse_folds(text: str, num_splits: int) -> list[int]:
    """'all', '0-9', '0,2,5' or '3-4,7'."""
    if text == "all":
        return list(range(num_splits))
    folds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        folds += range(int(low), int(high or low) + 1)
    bad = [f for f in folds if not 0 <= f < num_splits]
    if bad:
        raise SettingError(f"--folds: {bad} are outside 0..{num_splits - 1} for this dataset")
    return sorted(set(folds))


def split_dir(plan: Plan, fold: int) -> Path:
    return plan.output / f"split_{fold}"


def split_command(plan: Plan, fold: int) -> list[str]:
    folder = split_dir(plan, fold)
    command = [sys.executable, "-m", "fau_lightning", "fit", *plan.config_args, *plan.overrides]
    command += [f"--data.fold={fold}", "--test_after_fit=true", f"--checkpoint_dir={folder / 'checkpoints'}"]
    command += [f"--results_json={folder / 'result.json'}"]
    if plan.wandb is not None:
        run_id = f"{plan.group}-split{fold}"
        command += [
            f"--trainer.logger.init_args.{k}={v}"
            for k, v in (("save_dir", plan.output), ("group", plan.group), ("name", f"split_{fold}"), ("id", run_id))
        ]
    else:
        command.append(f"--trainer.logger.init_args.save_dir={folder}")
    if (folder / "checkpoints" / "last.ckpt").exists():
        command.append("--ckpt_path=last")
    return command


def _child_env(plan: Plan, slot: int) -> dict[str, str]:
    env = dict(os.environ, WANDB_ERROR_REPORTING=os.environ.get("WANDB_ERROR_REPORTING", "false"))
    # A split must run its own W&B service: one inherited from this process would keep its run open
    # until this process ends.
    for name in ("WANDB_SERVICE", "WANDB_SERVICE_TRANSPORT"):
        env.pop(name, None)
    if plan.devices:
        env["CUDA_VISIBLE_DEVICES"] = plan.devices[slot % len(plan.devices)]
    elif plan.parallel > 1:  # share the CPU cores instead of oversubscribing them
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // plan.parallel))
    return env


def run_splits(plan: Plan) -> list[int]:
    """Run every unfinished split, up to `parallel` at once; returns the folds that failed."""
    todo = [f for f in plan.folds if not (split_dir(plan, f) / "result.json").exists()]
    done = [f for f in plan.folds if f not in todo]
    if done:
        print(f"crossval: splits {done} already finished, skipping them")
    running: dict[int, tuple[subprocess.Popen, int]] = {}
    failed: list[int] = []
    free_slots = list(range(plan.parallel))
    start, durations, started_at = time.monotonic(), [], {}
    said = start
    while todo or running:
        while todo and free_slots:
            fold, slot = todo.pop(0), free_slots.pop(0)
            folder = split_dir(plan, fold)
            folder.mkdir(parents=True, exist_ok=True)
            write_json_atomically(
                folder / "settings.json", {"fingerprint": plan.fingerprint, "settings": plan.settings}
            )
            command = split_command(plan, fold)
            resuming = " (resuming from last.ckpt)" if "--ckpt_path=last" in command else ""
            print(f"crossval: split {fold} started{resuming}; log in {folder / 'train.log'}", flush=True)
            started_at[fold] = time.monotonic()
            with open(folder / "train.log", "ab") as log:
                running[fold] = (
                    subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=_child_env(plan, slot)),
                    slot,
                )
        time.sleep(0.2)
        if time.monotonic() - said >= HEARTBEAT_S:  # never silent while splits run: each one's latest line
            said = time.monotonic()
            for fold in running:
                print(f"crossval: split {fold}: {_last_line(split_dir(plan, fold) / 'train.log')}", flush=True)
        for fold, (process, slot) in list(running.items()):
            if process.poll() is None:
                continue
            del running[fold]
            free_slots.append(slot)
            ok = process.returncode == 0 and (split_dir(plan, fold) / "result.json").exists()
            durations.append(time.monotonic() - started_at[fold])
            finished = len(plan.folds) - len(todo) - len(running)
            left = (len(todo) + len(running)) * (sum(durations) / len(durations)) / plan.parallel
            timing = f"elapsed {_minutes(time.monotonic() - start)}, ETA {_minutes(left)}"
            if ok:
                record = json.loads((split_dir(plan, fold) / "result.json").read_text())
                outcome = report_of(record).headline_text(record["metrics"])
            else:
                outcome = f"FAILED (exit {process.returncode}), see its train.log"
                failed.append(fold)
            print(f"crossval: split {fold} done, {finished} of {len(plan.folds)}: {outcome}, {timing}", flush=True)
    return failed


def _last_line(log: Path, tail: int = 4096) -> str:
    """The last thing a split's log says (a progress bar's latest state counts), cut to 100 characters."""
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - tail))
        text = f.read().decode(errors="replace").replace("\r", "\n")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:100] if lines else "(nothing yet)"


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def collect(plan: Plan) -> dict[int, dict]:
    """The finished splits' test records (split -> its result.json)."""
    paths = {fold: split_dir(plan, fold) / "result.json" for fold in plan.folds}
    return {fold: json.loads(path.read_text()) for fold, path in paths.items() if path.exists()}


def summarize_records(records: dict[int, dict]) -> CrossvalSummary | AUSummary:
    """The splits summarised as their task declares (`report` in each record); splits of different tasks are refused."""
    reports = {report_of(record, f"split_{fold}/result.json").name for fold, record in records.items()}
    if len(reports) > 1:
        raise SettingError(f"the splits come from different tasks ({', '.join(sorted(reports))}); use another --output")
    return report_of(next(iter(records.values()))).summarize_splits(records)


def write_summary(plan: Plan, summary: CrossvalSummary | AUSummary) -> None:
    import cv2  # only here: crossval's planning and its splits' runs need no OpenCV in this process

    title = f"{plan.group}: {len(summary.splits)} splits"
    write_atomically(plan.output / "summary.csv", lambda f: f.write(summary.to_csv().encode()))
    write_atomically(plan.output / "summary.md", lambda f: f.write(summary.to_markdown(title).encode()))
    image = None
    if summary.confusion is not None:
        image = confusion_matrix_image(summary.confusion, summary.class_names, f"{title}, summed")
        write_image(plan.output / "summary_confusion.png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if plan.wandb is not None:
        _log_summary_to_wandb(plan, summary, image)


def _log_summary_to_wandb(plan: Plan, summary: CrossvalSummary | AUSummary, image: np.ndarray | None) -> None:
    import wandb

    mode = "offline" if plan.wandb.get("offline", True) else "online"
    run = wandb.init(
        project=plan.wandb.get("project") or "fau_lightning",
        group=plan.group,
        name="summary",
        id=f"{plan.group}-summary",
        job_type="summary",
        dir=str(plan.output),
        mode=mode,
        resume="allow",
    )
    columns, rows = summary.split_table()
    scalars = summary.scalars()
    figures = {"crossval/confusion_matrix": wandb.Image(image)} if image is not None else {}
    run.log({"crossval/splits": wandb.Table(columns=columns, data=rows), **scalars, **figures})
    run.summary.update({k: v for k, v in scalars.items() if k.count("/") == 1} | {"crossval/num_splits": len(rows)})
    run.finish()


def make_plan(args: argparse.Namespace, overrides: list[str]) -> Plan:
    configs = config_args(args.config)
    cli = build_config([*configs, *overrides], logger=True)
    num_splits = getattr(cli.datamodule, "num_splits", 1)
    if num_splits < 2:
        raise SettingError(f"--config: {type(cli.datamodule).__name__} has a single split; nothing to cross-validate")
    logger = cli.config.trainer.logger
    is_wandb = bool(logger) and str(getattr(logger, "class_path", "")).endswith("WandbLogger")
    settings = shared_settings(json.loads(json.dumps(cli.config.as_dict(), default=str)))
    short_hash = cache_key(settings, length=8)
    name = "+".join(Path(c).stem for c in args.config)
    output = Path(args.output or Path("runs") / "crossval" / f"{name}-{short_hash}")
    group = re.sub(r"[^A-Za-z0-9_-]", "-", args.group or output.name)
    devices = [d for d in args.devices.split(",") if d] if args.devices else []
    return Plan(
        config_args=configs,
        overrides=overrides,
        output=output,
        folds=parse_folds(args.folds, num_splits),
        parallel=max(1, args.parallel or len(devices) or 1),
        devices=devices,
        group=group,
        wandb=dict(vars(logger.init_args)) if is_wandb else None,
        settings=settings,
        fingerprint=short_hash,
    )


def report_summary(plan: Plan, records: dict[int, dict]) -> None:
    """Write the finished splits' summary (files and W&B) and print it."""
    summary = summarize_records(records)
    write_summary(plan, summary)
    print(summary.to_markdown(f"{plan.group}: {len(records)} of {len(plan.folds)} splits"))
    print(f"crossval: summary in {plan.output / 'summary.md'} and {plan.output / 'summary.csv'}")


def summarize_folder(plan: Plan) -> None:
    """`--summary_only`: join the splits other calls (a cluster's array tasks) ran into `plan.output`.

    Raises:
        SettingError: the folder holds splits made under other settings, or no finished split.
        SystemExit: some of `--folds` have no result yet (after summarising those that have).
    """
    conflicts = settings_conflicts(plan)
    if conflicts:
        raise SettingError(f"{plan.output}: {'; '.join(conflicts)}; these splits cannot be summarised together")
    records = collect(plan)
    if not records:
        raise SettingError(f"{plan.output}: no finished split to summarise (no split_k/result.json)")
    report_summary(plan, records)
    missing = [fold for fold in plan.folds if fold not in records]
    if missing:
        raise SystemExit(f"crossval: splits {missing} have no result yet; the summary holds the other {len(records)}")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    exit_on_input_error("fau-crossval", lambda: _crossval(argv))


def _crossval(argv: list[str]) -> None:
    own, overrides = split_at_double_dash(argv)
    parser = CommandParser("fau-crossval", __doc__)
    parser.add_argument(
        "--config", action="append", required=True, help="fau-train config file; repeat to add overlays"
    )
    parser.add_argument("--folds", default="all", help="'all', '0-9', '0,3,5'")
    parser.add_argument(
        "--output",
        default=None,
        help="folder for the splits and the summary (default runs/crossval/<configs>-<settings hash>)",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="discard the splits already in the folder (e.g. made under other settings) and start afresh",
    )
    parser.add_argument("--group", default=None, help="W&B group name (default: the output folder's name)")
    parser.add_argument(
        "--parallel", type=int, default=None, help="splits run at once (default 1, or one per --devices entry)"
    )
    parser.add_argument("--devices", default="", help="GPU ids to spread splits over, e.g. 0,1,2,3")
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--no_summary",
        action="store_true",
        help="run the splits and write no summary (a cluster's array task; one --summary_only call joins them)",
    )
    when.add_argument(
        "--summary_only",
        action="store_true",
        help="run nothing: summarise the splits already in --output (exit 1, naming them, if some are missing)",
    )
    args = parser.parse_args(own)
    plan = make_plan(args, overrides)
    if args.summary_only:
        summarize_folder(plan)
        return
    if args.restart:
        for folder in plan.output.glob("split_*"):
            shutil.rmtree(folder)
    conflicts = settings_conflicts(plan)
    if conflicts:
        raise SettingError(
            f"{plan.output}: {'; '.join(conflicts)}. Give another --output, or --restart to discard them"
        )
    plan.output.mkdir(parents=True, exist_ok=True)
    failed = run_splits(plan)
    records = collect(plan)
    if records and not args.no_summary:
        report_summary(plan, records)
    if failed:
        raise SystemExit(
            f"crossval: splits {failed} failed; see their train.log. Rerun the same command to finish them."
        )


if __name__ == "__main__":
    main()
