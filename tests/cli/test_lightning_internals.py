"""What `cli/lightning_internals.py` relies on in Lightning's private state: if a release changes it,
this fails here, and the workaround can go or change.
"""

from pathlib import Path

from pytorch_lightning.loggers import WandbLogger

from fau_lightning.cli.lightning_internals import drop_wandb_anonymous


def test_lightning_still_passes_anonymous_to_wandb_init_and_dropping_it_keeps_the_rest(tmp_path: Path) -> None:
    logger = WandbLogger(project="p", save_dir=str(tmp_path), offline=True)
    assert "anonymous" in logger._wandb_init and logger._wandb_init["anonymous"] is None
    before = dict(logger._wandb_init)
    drop_wandb_anonymous(logger)
    assert "anonymous" not in logger._wandb_init
    assert logger._wandb_init == {k: v for k, v in before.items() if k != "anonymous"}
