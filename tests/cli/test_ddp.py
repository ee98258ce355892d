"""DDP through Lightning's own strategy, two CPU processes over gloo, launched as a user would.

With the device data path, dropout off and no augmentation, two processes of batch 16 see exactly
the batches one process of batch 32 sees (rank r takes every other image of the same shuffled
order) and DDP averages their gradients, so the runs must end with the same weights and metrics.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fau_lightning.datamodules import SyntheticCKPlusDataModule
from tests.helpers.tiny import REPO, TINY_SYNTHETIC, tiny_args

pytestmark = pytest.mark.slow


def fau_train(root: Path, out: Path, *extra: str) -> tuple[dict, str]:
    args = tiny_args(
        root, out, "--trainer.logger=false", "--data.pipeline=device", "--model.dropout=0", "--trainer.max_epochs=3"
    )
    args += [f"--results_json={out / 'result.json'}", f"--checkpoint_dir={out / 'checkpoints'}", *extra]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WANDB_SERVICE", "LOCAL_RANK", "MASTER_", "WORLD_SIZE"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "fau_lightning", "fit", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "result.json").read_text()), done.stdout + done.stderr


def test_two_gloo_processes_match_one_process(tiny_synthetic_root: Path, tmp_path: Path) -> None:
    single, _ = fau_train(tiny_synthetic_root, tmp_path / "single", "--data.batch_size=32")
    ddp, log = fau_train(
        tiny_synthetic_root,
        tmp_path / "ddp",
        "--data.batch_size=16",
        "--config",
        str(REPO / "configs" / "multi_device" / "ddp_cpu.yaml"),
    )
    assert "distributed_backend=gloo" in log and "MEMBER: 2/2" in log
    assert ddp["metrics"]["test/acc"] == pytest.approx(single["metrics"]["test/acc"], abs=1e-6)
    assert ddp["metrics"]["test/acc_macro"] == pytest.approx(single["metrics"]["test/acc_macro"], abs=1e-6)
    # every test image counted once over the two ranks: the synchronised confusion matrix is whole
    data = SyntheticCKPlusDataModule(
        tiny_synthetic_root, TINY_SYNTHETIC, image_size=32, cache_dir=str(tmp_path / "single" / "cache")
    )
    data.setup("test")
    assert ddp["confusion"] == single["confusion"] and sum(map(sum, ddp["confusion"])) == len(data.datasets["test"])
    assert Path(ddp["checkpoint"]).name == Path(single["checkpoint"]).name  # best at the same step
    weights = [torch.load(r["checkpoint"], map_location="cpu", weights_only=True)["state_dict"] for r in (single, ddp)]
    for name, value in weights[0].items():
        assert torch.allclose(value, weights[1][name], atol=1e-4), name
