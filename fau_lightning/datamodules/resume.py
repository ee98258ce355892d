"""Where training stands inside its epoch, so a run resumed from a mid-epoch checkpoint goes on with
the very batches an unbroken run would have drawn next.

Lightning restores weights, optimiser and loop counters and, after a mid-epoch checkpoint, runs only
the epoch's remaining number of batches, but from a fresh iterator: without help those would be the
first batches of a new order. The data module saves this position with each checkpoint and its next
training loader starts from it.
"""

from dataclasses import dataclass

import pytorch_lightning as pl
from pytorch_lightning.trainer.states import TrainerFn

from fau_lightning.errors import SettingError


@dataclass(frozen=True)
class EpochPosition:
    """How far training had gone in its epoch when a checkpoint was written."""

    epoch: int
    batches_done: int  # training batches of `epoch` finished, on each device
    batches_per_epoch: int
    batch_size: int


def position_in_epoch(trainer: pl.Trainer | None, batch_size: int) -> EpochPosition | None:
    """The position during `fit` (validation and checkpoints included); None outside it.

    Reads the training loop's batch progress, which Lightning restores on resume and counts from 0 each
    epoch (`tests/datamodules/test_resume_position.py` pins that).
    """
    if trainer is None or trainer.state.fn != TrainerFn.FITTING or trainer.sanity_checking:
        return None
    done = int(trainer.fit_loop.epoch_loop.batch_progress.current.completed)
    per_epoch = int(trainer.num_training_batches)
    return EpochPosition(trainer.current_epoch, batches_done=done, batches_per_epoch=per_epoch, batch_size=batch_size)


def batches_to_skip(saved: EpochPosition | None, batch_size: int) -> int:
    """How many batches of the next training epoch an unbroken run had already trained on: the saved
    count after a mid-epoch checkpoint, 0 after an epoch's end or without a checkpoint.

    Raises:
        SettingError: the checkpoint was written mid-epoch with another batch size, so its position
            names other images.
    """
    if saved is None or not 0 < saved.batches_done < saved.batches_per_epoch:
        return 0
    if saved.batch_size != batch_size:
        raise SettingError(
            f"the checkpoint was written mid-epoch with batch size {saved.batch_size}, not {batch_size}; resume"
            " with that batch size, or from a checkpoint written at an epoch's end",
            "data.batch_size",
        )
    return saved.batches_done
