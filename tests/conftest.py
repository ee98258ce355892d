import os
import tempfile
from pathlib import Path

import pytest

# Nothing reaches the network from the tests.
os.environ["WANDB_ERROR_REPORTING"] = "false"
os.environ["WANDB_SILENT"] = "true"
os.environ["WANDB_MODE"] = "offline"
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(
    prefix="fau-test-cache-"
)  # untrained-control caches stay out of the user's

from fau_lightning.synthetic.dataset import generate  # noqa: E402
from tests.helpers.tiny import TINY_SYNTHETIC  # noqa: E402


@pytest.fixture(scope="session")
def tiny_synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic CK+ tree, made once per test session."""
    return generate(tmp_path_factory.mktemp("synthetic") / "ck", TINY_SYNTHETIC, workers=2)
