"""Which tasks a checkpoint may name, checked before anything is imported on its say-so.

A checkpoint names the task that wrote it (`fau_task`) and, when LightningCLI wrote it, the class and
instantiator its hyper-parameters would be rebuilt with (`_class_path`, `_instantiator`). Each must be
one of fau_lightning's own; the names are kept here as strings, so checking them imports no task (a test
holds this list equal to the task classes there are).
"""

import os

from fau_lightning.errors import CheckpointError

TASK_KEY = "fau_task"  # checkpoint entry naming the task class, so any command can reload it
LIGHTNING_INSTANTIATOR = "pytorch_lightning.cli.instantiate_module"  # what LightningCLI records
TASK_MODULES = {  # task class -> the module that defines it
    "ExpressionClassifier": "fau_lightning.tasks.classification",
    "AUDetector": "fau_lightning.tasks.au_detection",
}
DEFAULT_TASK = "ExpressionClassifier"  # checkpoints from before `fau_task` are classifiers


def task_named(name: str, source: str | os.PathLike) -> str:
    """The task class a name stands for ("fau_lightning.tasks.AUDetector" or its full module path).

    Raises:
        CheckpointError: the name is not one of fau_lightning's tasks.
    """
    module, _, cls = name.rpartition(".")
    if cls in TASK_MODULES and module in (TASK_MODULES[cls], "fau_lightning.tasks"):
        return cls
    raise CheckpointError(f"{source}: names the task {name!r}, which is not one of fau_lightning's tasks")


def checked_task_name(checkpoint: dict, source: str | os.PathLike) -> str:
    """The task class a checkpoint was written by, after checking every name in it that Lightning or this
    package would import: `fau_task`, and the hyper-parameters' `_class_path` and `_instantiator`.

    Raises:
        CheckpointError: a name that is not one of fau_lightning's tasks, or another instantiator.
    """
    hparams = checkpoint.get("hyper_parameters") or {}
    instantiator = hparams.get("_instantiator", LIGHTNING_INSTANTIATOR)
    if instantiator != LIGHTNING_INSTANTIATOR:
        raise CheckpointError(f"{source}: names the instantiator {instantiator!r}, not Lightning's")
    if "_class_path" in hparams:
        task_named(str(hparams["_class_path"]), source)
    return task_named(str(checkpoint.get(TASK_KEY, f"fau_lightning.tasks.{DEFAULT_TASK}")), source)
