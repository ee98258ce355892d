"""LightningModules: loss, metrics and optimiser around the plain models."""

from fau_lightning.tasks.au_detection import AUDetector
from fau_lightning.tasks.base import FaceTask, checked_task_class, load_task
from fau_lightning.tasks.classification import ExpressionClassifier

__all__ = ["AUDetector", "ExpressionClassifier", "FaceTask", "checked_task_class", "load_task"]
