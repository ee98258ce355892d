"""The one place this package reaches into Lightning's private state, because no public API does it;
`tests/cli/test_lightning_internals.py` pins the behaviour relied on, so a Lightning release that
changes it fails there, not in a user's run.
"""

from pytorch_lightning.loggers import WandbLogger


def drop_wandb_anonymous(logger: WandbLogger) -> None:
    """Lightning's WandbLogger always passes `anonymous` to `wandb.init` (None unless asked for), and
    W&B warns on every run that the setting does nothing; leaving it out before the run starts
    silences that warning and changes nothing else.
    """
    logger._wandb_init.pop("anonymous", None)
