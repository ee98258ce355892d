"""Every setting of the analysis, defined once: `fau-train`'s `--analysis.*`, `fau-analyze`'s flags and
the report's record of what was run all come from these two classes and their docstrings.
"""

from dataclasses import dataclass, fields
from typing import Literal, get_args, get_origin

from fau_lightning.errors import SettingError


def check_choices(settings: object) -> None:
    """Raise SettingError naming the first field whose value is not one its Literal type allows."""
    for field in fields(settings):
        allowed = get_args(field.type) if get_origin(field.type) is Literal else ()
        value = getattr(settings, field.name)
        if allowed and value not in allowed:
            raise SettingError(f"{field.name}: must be one of {', '.join(map(str, allowed))}, got {value!r}")


@dataclass(frozen=True)
class AlignmentSettings:
    """How strict the FAU verdict is.

    Args:
        top_sequences: strongest held-out sequences per unit whose peaks the region test looks at.
        min_sequences: an AU is tested only with this many positive and negative sequences in both sets.
        shuffles: sequence shuffles per chance line; enough for the corrected quantile.
        alpha: family-wise error rate over the AUs tested (Bonferroni for chance, Holm for the
            untrained networks), and the region test's level.
        seed: seed of the shuffles and of the resampled people.
        cells: units per side of each filter map: 2 gives the quadrants that the network's quadrant
            pooling hands to fc4, 1 whole maps.
        region_reach: a pixel belongs to a facial region when it lies within this many eye-centre
            distances of the region's landmarks (the nearest region's, where several are close).
        resamples: draws of the held-out people (with replacement) behind each AUROC's 95 % interval.
        strong_auroc: a recovered AU is graded strong at or above this within-emotion AUROC: the median
            of the best units of the AUs the AU-trained positive control recovers at 48x48.
        clear_auroc: and clear at or above this one, the weakest of those units; below it, weak.
    """

    top_sequences: int = 25
    min_sequences: int = 5
    shuffles: int = 1000
    alpha: float = 0.05
    seed: int = 0
    cells: int = 2
    region_reach: float = 0.3
    resamples: int = 200
    strong_auroc: float = 0.75
    clear_auroc: float = 0.64

    def __post_init__(self) -> None:
        check_choices(self)
        for name in ("top_sequences", "min_sequences", "shuffles", "cells", "resamples"):
            if getattr(self, name) < 1:
                raise SettingError(f"{name}: must be at least 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class AnalysisSettings(AlignmentSettings):
    """What a network's analysis judges and shows; the defaults give the verdict the docs report.

    Args:
        layer: the layer whose units are judged and whose filters are shown: a module path of the
            network (relu1..relu3 for the zero-bias CNN, layer1..layer4 for resnet18), or auto: the
            network's own choice (relu3, the paper's), else its deepest module giving feature maps.
        control_seeds: untrained networks (seeds 0..n-1) the verdict compares against; 30, because with
            10 the prediction bound let an untrained network through on AU 23.
        control_precision: arithmetic of the untrained networks' forward passes: 32 (float32), or bf16
            (bfloat16, about 2x faster on CPUs with native bf16; it moves their AUROCs where two units
            nearly tie, the control means by up to 0.003 on the built-in set: docs/speed.md).
        num_filters: most selective filters shown.
        patches: image patches shown per filter and per AU's best unit.
        method: how a unit is projected to pixels: deconvnet or guided_backprop.
    """

    layer: str = "auto"
    control_seeds: int = 30
    control_precision: Literal["32", "bf16"] = "32"
    num_filters: int = 8
    patches: int = 9
    method: Literal["deconvnet", "guided_backprop"] = "deconvnet"
