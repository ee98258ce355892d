import pytest

from fau_lightning.checkpoint.allowed_tasks import TASK_MODULES, checked_task_name, task_named
from fau_lightning.errors import CheckpointError
from fau_lightning.tasks import FaceTask


def _task_classes() -> set[tuple[str, str]]:
    found, pending = set(), list(FaceTask.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.startswith("fau_lightning.tasks"):
            found.add((cls.__name__, cls.__module__))
    return found


def test_the_allow_list_is_every_task_there_is() -> None:
    assert _task_classes() == set(TASK_MODULES.items())


def test_names_are_checked_without_importing_them() -> None:
    assert task_named("fau_lightning.tasks.au_detection.AUDetector", "x.ckpt") == "AUDetector"
    assert task_named("fau_lightning.tasks.AUDetector", "x.ckpt") == "AUDetector"
    for name in ("os.system", "fau_lightning.tasks.base.AUDetector", "evil.AUDetector", "FaceTask"):
        with pytest.raises(CheckpointError, match="not one of fau_lightning's tasks"):
            task_named(name, "x.ckpt")
    with pytest.raises(CheckpointError, match="instantiator 'os.system'"):
        checked_task_name({"hyper_parameters": {"_instantiator": "os.system"}}, "x.ckpt")
    assert checked_task_name({}, "x.ckpt") == "ExpressionClassifier"  # from before checkpoints named their task
