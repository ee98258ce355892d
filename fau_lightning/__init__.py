"""fau_lightning: the zero-bias CNN of Khorrami, Paine & Huang (2015) in PyTorch Lightning."""

import os

# Set before anything imports albumentations (it checks for updates over the network at import)
# and inherited by data-loader worker processes, which copy this environment.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
