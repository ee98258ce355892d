"""Thin Lightning callbacks: analysis lives in fau_lightning.analysis."""

from fau_lightning.callbacks.checkpoint import BestValidationCheckpoint
from fau_lightning.callbacks.fau_trend import FAUTrend
from fau_lightning.callbacks.filter_visualization import FilterVisualization
from fau_lightning.callbacks.prediction_writer import PredictionWriter
from fau_lightning.callbacks.random_state import RandomStateCheckpoint

__all__ = [
    "BestValidationCheckpoint",
    "FAUTrend",
    "FilterVisualization",
    "PredictionWriter",
    "RandomStateCheckpoint",
]
