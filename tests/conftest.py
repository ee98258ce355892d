import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Nothing reaches the network from the tests.
os.environ["WANDB_ERROR_REPORTING"] = "false"
os.environ["WANDB_SILENT"] = "true"
os.environ["WANDB_MODE"] = "offline"
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
# Untrained-control caches stay out of the user's, and go when the tests end.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="fau-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)

from fau_lightning.synthetic.dataset import generate  # noqa: E402
from tests.helpers.tiny import TINY_SYNTHETIC  # noqa: E402


@pytest.fixture(scope="session")
def tiny_synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic CK+ tree, made once per test session."""
    return generate(tmp_path_factory.mktemp("synthetic") / "ck", TINY_SYNTHETIC, workers=2)


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_synthetic_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The best checkpoint of the main job's config fitted (and tested) on the tiny set, 32x32, CSV logs."""
    from fau_lightning.cli.train import run_cli
    from tests.helpers.tiny import csv_logger_args, tiny_args

    save_dir = tmp_path_factory.mktemp("tiny_run")
    cli = run_cli(["fit", *tiny_args(tiny_synthetic_root, save_dir, *csv_logger_args(save_dir))])
    return Path(cli.trainer.checkpoint_callback.best_model_path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `cuda` are skipped where no CUDA GPU is."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
