"""Model selection that can only look at validation metrics, and a `last.ckpt` that is always current."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint

from fau_lightning.errors import SettingError
from fau_lightning.files import temporary_path, write_failure


class BestValidationCheckpoint(ModelCheckpoint):
    """Keep the checkpoint with the best validation metric, and `last.ckpt` from every validation.

    The first arXiv version of the paper selected its checkpoint on the test fold; here a monitor
    outside `val/` is refused and the test split is never evaluated during `fit`, so selecting on
    test cannot happen. Checkpoints are taken whenever validation runs: the trainer's
    `val_check_interval` (e.g. 1000 iterations) sets how often.

    `last.ckpt` is rewritten (temporary file, then rename) after every validation, whether or not the
    score improved, so `--ckpt_path last` resumes from the latest state. (Lightning's own `save_last`
    refreshes it only when a new best is written.) It is found in `dirpath`, which by default lies
    in the logger's run folder: resume into the same run (W&B `--trainer.logger.init_args.id`, CSV
    `version`) or set `dirpath`.

    Args:
        monitor: the validation metric to select on; default: the task's own (`val/acc` for
            expressions, `val/auroc` for AUs).
        mode: "max" or "min".
        dirpath: where checkpoints go (default: the logger's run folder).
        filename: the best checkpoint's name pattern.
        keep_last: also keep `last.ckpt`, rewritten at every validation.
    """

    def __init__(
        self,
        monitor: str | None = None,
        mode: str = "max",
        dirpath: str | None = None,
        filename: str = "best-{step:06d}",
        keep_last: bool = True,
        **kwargs,
    ) -> None:
        if monitor is not None and not monitor.startswith("val/"):
            raise SettingError(
                f"monitor: checkpoints are selected on validation metrics only ('val/...'), not {monitor!r}"
            )
        super().__init__(
            dirpath=dirpath, filename=filename, monitor=monitor, mode=mode, save_top_k=1, save_last=False, **kwargs
        )
        self.keep_last = keep_last

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self.monitor is None:
            self.monitor = getattr(pl_module, "selection_metric", "val/acc")
        super().setup(trainer, pl_module, stage)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not self.keep_last or trainer.sanity_checking or not self.dirpath:
            return
        path = os.path.join(self.dirpath, self.CHECKPOINT_NAME_LAST + self.FILE_EXTENSION)
        tmp = str(temporary_path(path))  # the writing rank's name: rank zero writes the file and renames it
        with failed_write_named(path, tmp):
            trainer.save_checkpoint(tmp, weights_only=False)  # the whole state, to resume from; every rank takes part
            if trainer.is_global_zero:
                os.replace(tmp, path)
        trainer.strategy.barrier()
        self.last_model_path = path

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        with failed_write_named(filepath, partial=filepath):
            super()._save_checkpoint(trainer, filepath)


@contextmanager
def failed_write_named(path: str, partial: str | None = None) -> Iterator[None]:
    """A checkpoint write that fails for want of space or permission becomes one line naming `path`
    (Lightning's own error names no file); the `partial` file it left is removed.
    """
    try:
        yield
    except OSError as err:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
        raise write_failure(err, path) or err
