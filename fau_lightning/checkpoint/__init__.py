"""Checkpoints without Lightning: reading one safely, the tasks it may name, its model record and its network."""

from fau_lightning.checkpoint.allowed_tasks import TASK_KEY, checked_task_name
from fau_lightning.checkpoint.network import network_from_checkpoint
from fau_lightning.checkpoint.reading import read_checkpoint
from fau_lightning.checkpoint.record import MODEL_RECORD_KEY, ModelRecord, read_record

__all__ = [
    "MODEL_RECORD_KEY",
    "TASK_KEY",
    "ModelRecord",
    "checked_task_name",
    "network_from_checkpoint",
    "read_checkpoint",
    "read_record",
]
