"""What the console commands share: their own arguments apart from fau-train's, and a config built without running."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fau_lightning.cli.train import FauCLI


def split_at_double_dash(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the command's own arguments, the fau-train overrides after `--`)."""
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def config_args(paths: list[str]) -> list[str]:
    """`--config PATH` for each path, in order (later files overlay earlier ones)."""
    return [a for path in paths for a in ("--config", path)]


def build_config(args: list[str], logger: bool = False) -> "FauCLI":
    """Configs and overrides resolved and instantiated (model, data module, trainer) without running a
    subcommand; no logger unless `logger`, so nothing is written.
    """
    from fau_lightning.cli.train import (
        run_cli,  # Lightning is imported only when a config is built
    )

    return run_cli([*args, *([] if logger else ["--trainer.logger=false"])], run=False, save_config_callback=None)
