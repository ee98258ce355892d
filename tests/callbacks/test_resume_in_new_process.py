"""A run killed with SIGKILL after its first last.ckpt and resumed in a new process with
`--ckpt_path last` ends with the weights of an unbroken run, for each of the paper's four variants,
with the same validation loss at every validation.
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

EPOCHS = 4
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


def val_losses(folder: Path) -> dict[int, float]:
    """Step -> val/loss from every CSV log under `folder`."""
    losses = {}
    for path in folder.rglob("metrics.csv"):
        with open(path) as f:
            for row in csv.DictReader(f):
                if row.get("val/loss"):
                    losses[int(row["step"])] = float(row["val/loss"])
    return losses


@pytest.mark.parametrize("variant", ["cnn", "cnn_a", "cnn_d", "cnn_ad"])
def test_sigkilled_run_resumed_in_a_new_process_ends_like_an_unbroken_run(
    variant: str, tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    unbroken = fit(tiny_synthetic_root, tmp_path / "unbroken", variant, "0")
    assert unbroken.returncode == 0, unbroken.stderr[-2000:]
    final = torch.load(tmp_path / "unbroken" / "checkpoints" / "last.ckpt", weights_only=True)
    steps_per_epoch = final["global_step"] // EPOCHS
    kill = json.dumps(
        {"class_path": "tests.helpers.kill_switch.SigkillAtStep", "init_args": {"step": steps_per_epoch + 1}}
    )
    broken = fit(tiny_synthetic_root, tmp_path / "broken", variant, "0", f"--trainer.callbacks+={kill}")
    assert broken.returncode == -signal.SIGKILL
    last = tmp_path / "broken" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == steps_per_epoch  # only the first validation's
    resumed = fit(tiny_synthetic_root, tmp_path / "broken", variant, "1", "--ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    ended = torch.load(last, weights_only=True)
    assert ended["global_step"] == final["global_step"]
    for name, weights in final["state_dict"].items():
        assert torch.equal(weights, ended["state_dict"][name]), f"{variant}: {name} differs"
    expected = val_losses(tmp_path / "unbroken")
    assert len(expected) == EPOCHS and val_losses(tmp_path / "broken") == expected


def epoch_figures(folder: Path) -> dict[tuple[str, int], float]:
    """(name, step) -> value of every epoch-level training figure and validation loss in the CSV logs."""
    figures = {}
    for path in folder.rglob("metrics.csv"):
        with open(path) as f:
            for row in csv.DictReader(f):
                for name in ("val/loss", "val/acc", "train/loss_epoch", "train/acc"):
                    if row.get(name):
                        figures[(name, int(row["step"]))] = float(row[name])
    return figures


MID_EPOCH = ("--data.batch_size=16", "--trainer.val_check_interval=4", "--trainer.check_val_every_n_epoch=null")


@pytest.mark.parametrize(
    "variant, pipeline",
    [
        pytest.param("cnn", "workers", marks=pytest.mark.slow),
        pytest.param("cnn_a", "workers", marks=pytest.mark.slow),
        pytest.param("cnn_d", "workers", marks=pytest.mark.slow),
        ("cnn_ad", "workers"),
        ("cnn_ad", "device"),
    ],
)
def test_run_killed_after_a_mid_epoch_checkpoint_resumes_like_an_unbroken_run(
    variant: str, pipeline: str, tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    """Validation (and so a checkpoint) every 4 steps in epochs of 6: the run is killed in its second epoch,
    two steps after the checkpoint of step 8, and resumed in a new process from that mid-epoch checkpoint.
    """
    extra = (*MID_EPOCH, f"--data.pipeline={pipeline}")
    unbroken = fit(tiny_synthetic_root, tmp_path / "unbroken", variant, "0", *extra)
    assert unbroken.returncode == 0, unbroken.stderr[-2000:]
    final = torch.load(tmp_path / "unbroken" / "checkpoints" / "last.ckpt", weights_only=True)
    assert final["global_step"] == 6 * EPOCHS  # so step 8 is two batches into the second epoch
    kill = json.dumps({"class_path": "tests.helpers.kill_switch.SigkillAtStep", "init_args": {"step": 10}})
    broken = fit(tiny_synthetic_root, tmp_path / "broken", variant, "0", *extra, f"--trainer.callbacks+={kill}")
    assert broken.returncode == -signal.SIGKILL
    last = tmp_path / "broken" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 8
    resumed = fit(tiny_synthetic_root, tmp_path / "broken", variant, "1", *extra, "--ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    ended = torch.load(last, weights_only=True)
    assert ended["global_step"] == final["global_step"]
    for name, weights in final["state_dict"].items():
        assert torch.equal(weights, ended["state_dict"][name]), f"{variant}: {name} differs"
    assert ended["fau_history"] == final["fau_history"]
    expected = epoch_figures(tmp_path / "unbroken")
    assert ("train/loss_epoch", 6 * EPOCHS - 1) in expected
    assert epoch_figures(tmp_path / "broken") == expected
