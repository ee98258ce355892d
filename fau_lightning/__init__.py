"""fau_lightning: the zero-bias CNN of Khorrami, Paine & Huang (2015) in PyTorch Lightning."""

__version__ = "0.1.0"


def __getattr__(name: str):  # noqa: ANN202 (the API loads only when asked for)
    if name in ("ExpressionModel", "DrawnFacesWarning"):
        from fau_lightning.inference import expression_model

        return getattr(expression_model, name)
    if name == "sample_photographs":
        from fau_lightning.readers import real_photos

        return real_photos.sample_photographs
    raise AttributeError(f"module 'fau_lightning' has no attribute {name!r}")


__all__ = ["DrawnFacesWarning", "ExpressionModel", "sample_photographs", "__version__"]
