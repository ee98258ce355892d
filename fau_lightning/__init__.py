"""fau_lightning: the zero-bias CNN of Khorrami, Paine & Huang (2015) in PyTorch Lightning."""

import os

# Set before anything imports albumentations (it checks for updates over the network at import)
# and inherited by data-loader worker processes, which copy this environment.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"


def __getattr__(name: str):  # noqa: ANN202 (the API loads only when asked for, after the line above)
    if name in ("ExpressionModel", "DrawnFacesWarning"):
        from fau_lightning.inference import expression_model

        return getattr(expression_model, name)
    if name == "sample_photographs":
        from fau_lightning.readers import real_photos

        return real_photos.sample_photographs
    raise AttributeError(f"module 'fau_lightning' has no attribute {name!r}")


__all__ = ["DrawnFacesWarning", "ExpressionModel", "sample_photographs", "__version__"]
