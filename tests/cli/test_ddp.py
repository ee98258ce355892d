"""DDP through Lightning's own strategy, two CPU processes over gloo, launched as a user would.

With the device data path, dropout off and no augmentation, two processes of batch 16 see exactly
the batches one process of batch 32 sees (rank r takes every other image of the same shuffled
order) and DDP averages their gradients, so the runs must end with the same weights and metrics.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fau_lightning.datamodules import SyntheticCKPlusDataModule
from tests.helpers.tiny import REPO, TINY_SYNTHETIC, tiny_args

pytestmark = pytest.mark.slow


def fit_command(root: Path, out: Path, *extra: str) -> list[str]:
    args = tiny_args(
        root, out, "--trainer.logger=false", "--data.pipeline=device", "--model.dropout=0", "--trainer.max_epochs=3"
    )
    args += [f"--results_json={out / 'result.json'}", f"--checkpoint_dir={out / 'checkpoints'}", *extra]
    return ["-m", "fau_lightning", "fit", *args]


def clean_env() -> dict[str, str]:
    """This process's environment without what would tie a child to a W&B service or a process group."""
    tied = ("WANDB_SERVICE", "LOCAL_RANK", "MASTER_", "WORLD_SIZE", "RANK", "NODE_RANK", "GROUP_RANK")
    return {k: v for k, v in os.environ.items() if not k.startswith(tied)}


def fau_train(root: Path, out: Path, *extra: str) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, *fit_command(root, out, *extra)],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "result.json").read_text()), done.stdout + done.stderr


@pytest.fixture(scope="module")
def single(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One process, batch 32: what the two-process runs must reproduce."""
    return fau_train(tiny_synthetic_root, tmp_path_factory.mktemp("single"), "--data.batch_size=32")[0]


def assert_same_run(ddp: dict, single: dict) -> None:
    assert ddp["metrics"]["test/acc"] == pytest.approx(single["metrics"]["test/acc"], abs=1e-6)
    assert ddp["metrics"]["test/acc_macro"] == pytest.approx(single["metrics"]["test/acc_macro"], abs=1e-6)
    assert ddp["confusion"] == single["confusion"]
    assert Path(ddp["checkpoint"]).name == Path(single["checkpoint"]).name  # best at the same step
    weights = [torch.load(r["checkpoint"], map_location="cpu", weights_only=True)["state_dict"] for r in (single, ddp)]
    for name, value in weights[0].items():
        assert torch.allclose(value, weights[1][name], atol=1e-4), name


def test_two_gloo_processes_match_one_process(single: dict, tiny_synthetic_root: Path, tmp_path: Path) -> None:
    ddp, log = fau_train(
        tiny_synthetic_root,
        tmp_path / "ddp",
        "--data.batch_size=16",
        "--config",
        str(REPO / "configs" / "multi_device" / "ddp_cpu.yaml"),
    )
    assert "distributed_backend=gloo" in log and "MEMBER: 2/2" in log
    assert_same_run(ddp, single)
    # every test image counted once over the two ranks: the synchronised confusion matrix is whole
    data = SyntheticCKPlusDataModule(
        tiny_synthetic_root, TINY_SYNTHETIC, image_size=32, cache_dir=str(tmp_path / "ddp" / "cache")
    )
    data.setup("test")
    assert sum(map(sum, ddp["confusion"])) == len(data.datasets["test"])


def test_the_two_node_torchrun_recipe_matches_one_process(
    single: dict, tiny_synthetic_root: Path, tmp_path: Path
) -> None:
    """docs/multi_gpu.md's torchrun recipe, both "nodes" on this machine: one torchrun per node rank,
    one process each, meeting at 127.0.0.1 over gloo.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "two_nodes"
    nodes = [
        subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1"]
            + ["--node_rank", str(rank), "--master_addr", "127.0.0.1", "--master_port", str(port)]
            + fit_command(tiny_synthetic_root, out, "--data.batch_size=16", "--trainer.accelerator=cpu")
            + ["--trainer.strategy=ddp", "--trainer.devices=1", "--trainer.num_nodes=2"],
            cwd=REPO,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for rank in (0, 1)
    ]
    logs = [node.communicate(timeout=600)[0] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], logs[0][-3000:] + logs[1][-3000:]
    assert "distributed_backend=gloo" in logs[0] and "MEMBER: 1/2" in logs[0] and "MEMBER: 2/2" in logs[1]
    assert_same_run(json.loads((out / "result.json").read_text()), single)
