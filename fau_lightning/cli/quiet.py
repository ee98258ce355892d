"""Library messages that tell a user of this package nothing, filtered at the door.

Only messages that are not ours and cannot be fixed where they arise are filtered here: Lightning's
advertisement for its cloud logger, and a PyTorch deprecation inside Lightning's own code.
"""

import logging
import warnings

NOISE_PREFIXES = ("💡 Tip:",)  # Lightning's advertisement for litlogger, printed on every Trainer


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(NOISE_PREFIXES)


def silence_library_noise() -> None:
    """Install the filters (idempotent)."""
    for name in ("pytorch_lightning.utilities.rank_zero", "lightning_fabric.utilities.rank_zero"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _DropNoise) for f in log.filters):
            log.addFilter(_DropNoise())
    # Raised by Lightning's own pytree helper under recent PyTorch; nothing a user can change.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")
