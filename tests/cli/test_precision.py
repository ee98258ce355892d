"""Precision by device: mixed on GPUs (bf16 where the GPU has it), full on CPUs; an explicit setting wins."""

import pytest
import torch

from fau_lightning.cli.precision import precision_for
from fau_lightning.cli.train import build_config
from tests.helpers.tiny import REPO


@pytest.mark.parametrize(
    "accelerator,cuda,bf16,expected",
    [
        ("auto", True, True, "bf16-mixed"),
        ("gpu", True, False, "16-mixed"),
        ("cuda", True, True, "bf16-mixed"),
        ("auto", False, False, "32-true"),
        ("cpu", True, True, "32-true"),
        (None, True, False, "16-mixed"),
    ],
)
def test_precision_for_the_device(
    accelerator: str | None, cuda: bool, bf16: bool, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    assert precision_for(accelerator) == expected


def test_the_shipped_configs_resolve_it_and_an_explicit_setting_wins() -> None:
    config = str(REPO / "configs" / "synthetic.yaml")
    assert build_config(["--config", config]).trainer.precision == "32-true"  # this machine has no GPU
    explicit = build_config(["--config", config, "--trainer.precision=bf16-mixed"])
    assert explicit.trainer.precision == "bf16-mixed"
