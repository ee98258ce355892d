"""A run killed with SIGKILL and resumed in a new process with `--ckpt_path last` ends like an unbroken
run: the same weights to the bit, the same validation loss and accuracy at every validation and the same
training figures for every epoch; for each of the paper's four variants, whether the checkpoint it
resumes from was written at an epoch's end or in the middle of one.

Validation (and so a checkpoint) runs every 3 steps in epochs of 6 steps: the checkpoint of step 6 ends
the first epoch, the one of step 9 lies three batches into the second.
"""

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers.tiny import REPO, tiny_args

EPOCHS = 3
CALLBACKS = [  # checkpoints and random state only: the analysis callbacks do not change training
    {"class_path": "fau_lightning.callbacks.BestValidationCheckpoint"},
    {"class_path": "fau_lightning.callbacks.RandomStateCheckpoint"},
]


def fit(root: Path, folder: Path, variant: str, version: str, *extra: str) -> subprocess.CompletedProcess:
    args = tiny_args(
        root,
        folder,
        "--config",
        str(REPO / "configs" / "variants" / f"{variant}.yaml"),
        "--config",
        str(REPO / "configs" / "loggers" / "csv.yaml"),
        f"--trainer.logger.init_args.save_dir={folder}",
        f"--trainer.logger.init_args.version={version}",
        f"--trainer.callbacks={json.dumps(CALLBACKS)}",
        f"--checkpoint_dir={folder / 'checkpoints'}",
        f"--trainer.max_epochs={EPOCHS}",
        "--test_after_fit=false",
        *extra,
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "fau_lightning", "fit", *args], capture_output=True, text=True, env=env, timeout=600
    )


def epoch_figures(folder: Path) -> dict[tuple[str, int], float]:
    """(name, step) -> value of every validation figure and epoch-level training figure in the CSV logs."""
    figures = {}
    for path in folder.rglob("metrics.csv"):
        with open(path) as f:
            for row in csv.DictReader(f):
                for name in ("val/loss", "val/acc", "train/loss_epoch", "train/acc"):
                    if row.get(name):
                        figures[(name, int(row["step"]))] = float(row[name])
    return figures


EVERY_3_STEPS = ("--data.batch_size=16", "--trainer.val_check_interval=3", "--trainer.check_val_every_n_epoch=null")
KILLS = {"at an epoch's end": (7, 6), "mid-epoch": (11, 9)}  # killed at step -> resumed from the checkpoint of step


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant, pipeline",
    [("cnn", "workers"), ("cnn_a", "workers"), ("cnn_d", "workers"), ("cnn_ad", "workers"), ("cnn_ad", "device")],
)
def test_a_killed_run_resumed_in_a_new_process_ends_like_an_unbroken_run(
    variant: str, pipeline: str, tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    extra = (*EVERY_3_STEPS, f"--data.pipeline={pipeline}")
    unbroken = fit(tiny_synthetic_root, tmp_path / "unbroken", variant, "0", *extra)
    assert unbroken.returncode == 0, unbroken.stderr[-2000:]
    final = torch.load(tmp_path / "unbroken" / "checkpoints" / "last.ckpt", weights_only=True)
    assert final["global_step"] == 6 * EPOCHS
    expected = epoch_figures(tmp_path / "unbroken")
    assert len([key for key in expected if key[0] == "val/loss"]) == 6 * EPOCHS // 3
    assert len([key for key in expected if key[0] == "train/loss_epoch"]) == EPOCHS
    kills = KILLS if pipeline == "workers" else {"mid-epoch": KILLS["mid-epoch"]}
    for when, (kill_step, checkpoint_step) in kills.items():
        folder = tmp_path / when.replace(" ", "_")
        kill = json.dumps({"class_path": "tests.helpers.kill_switch.SigkillAtStep", "init_args": {"step": kill_step}})
        broken = fit(tiny_synthetic_root, folder, variant, "0", *extra, f"--trainer.callbacks+={kill}")
        assert broken.returncode == -signal.SIGKILL
        last = folder / "checkpoints" / "last.ckpt"
        assert torch.load(last, weights_only=True)["global_step"] == checkpoint_step
        resumed = fit(tiny_synthetic_root, folder, variant, "1", *extra, "--ckpt_path=last")
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        ended = torch.load(last, weights_only=True)
        assert ended["global_step"] == final["global_step"], when
        for name, weights in final["state_dict"].items():
            assert torch.equal(weights, ended["state_dict"][name]), f"{variant}, killed {when}: {name} differs"
        assert ended["fau_history"] == final["fau_history"], when
        assert epoch_figures(folder) == expected, when
