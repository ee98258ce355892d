"""Thin Lightning callbacks."""

from fau_lightning.callbacks.checkpoint import BestValidationCheckpoint
from fau_lightning.callbacks.random_state import RandomStateCheckpoint

__all__ = ["BestValidationCheckpoint", "RandomStateCheckpoint"]
