"""Random-number states in checkpoints, so a resumed run continues exactly as an unbroken one."""

import random
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback


class RandomStateCheckpoint(Callback):
    """Save Python's, NumPy's and torch's generator states with each checkpoint; restore them on resume.

    Lightning restores weights, optimiser and loop counters but not the generators, so the batches
    drawn after `--ckpt_path last` would differ from those of an unbroken run. Restored only when
    resuming `fit` (Lightning hands callback state back then), never when a checkpoint is just tested.
    The states are applied when training goes on, not when Lightning hands them back (in between,
    Lightning's own set-up draws from torch's generator): at the start of the next epoch after a
    checkpoint written at an epoch's end, before the next batch after one written mid-epoch (Lightning
    then starts no epoch).
    """

    def __init__(self) -> None:
        self._pending: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        # Only tensors and plain Python values: Lightning loads resume checkpoints with weights_only=True.
        kind, key, pos, has_gauss, cached = np.random.get_state()
        numpy_state = {
            "kind": kind,
            "key": torch.from_numpy(key.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        }
        state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._pending = state_dict

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._apply_pending()

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._apply_pending()

    def _apply_pending(self) -> None:
        if self._pending is not None:
            self._apply(self._pending)
            self._pending = None

    @staticmethod
    def _apply(state_dict: dict[str, Any]) -> None:
        random.setstate(state_dict["python"])
        n = state_dict["numpy"]
        np.random.set_state((n["kind"], n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
        torch.set_rng_state(state_dict["torch"])
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
