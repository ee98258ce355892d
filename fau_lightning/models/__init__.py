"""Models as plain nn.Modules; no Lightning in here."""

from fau_lightning.models.local_contrast import LocalMeanSubtraction
from fau_lightning.models.probabilities import WithProbabilities, probabilities
from fau_lightning.models.resnet import ResNet18
from fau_lightning.models.zero_bias_cnn import ZeroBiasCNN

__all__ = ["LocalMeanSubtraction", "ResNet18", "WithProbabilities", "ZeroBiasCNN", "probabilities"]
