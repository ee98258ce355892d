"""Real photographs of faces that ship inside installed Python packages, so checks run offline.

matplotlib's sample data has a portrait of Grace Hopper; scikit-image (a test extra) bundles the
astronaut Eileen Collins. Used to check that face cropping works on real faces, not only drawn ones.
"""

from importlib import resources
from pathlib import Path


def sample_photographs() -> dict[str, Path]:
    """{"grace_hopper": path, "astronaut": path (with scikit-image installed)}: one face each."""
    import matplotlib.cbook

    photos = {"grace_hopper": Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))}
    try:
        photos["astronaut"] = Path(str(resources.files("skimage") / "data" / "astronaut.png"))
    except ModuleNotFoundError:
        pass
    return photos
