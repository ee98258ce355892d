"""LightningModules: loss, metrics and optimiser around the plain models."""

from fau_lightning.tasks.classification import ExpressionClassifier

__all__ = ["ExpressionClassifier"]
