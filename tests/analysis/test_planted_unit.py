"""The verdict on a network that is not the zero-bias CNN (biases, batch norm, a residual block): one unit
planted to detect an AU is found, and nothing else is.

Hand-made faces make the answer known: every person has a smooth face texture with landmarks at fixed
places; in sequences coded with AU 12 the mouth carries a fine vertical grating (its mean unchanged, and
faint beside how much lighter or darker one person is than another, which untrained filters answer), and
every other AU is coded at random with no trace in the pixels. The planted unit is a 3x3 grating
detector; the untrained controls draw that filter at random like every other (`NetworkSpec.build(seed)`).
"""

import cv2
import numpy as np
import pytest
import torch

from fau_lightning.analysis.controls import untrained_copy
from fau_lightning.analysis.network import analyse_network
from fau_lightning.analysis.probes import ProbeSet
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.facs import ACTION_UNITS, REGION_LANDMARKS
from fau_lightning.models.factory import NetworkSpec

SIZE = 32
PLANTED_AU = 12
BRIGHTNESS, GRATING = 40.0, 4.0  # grey levels: the spread of people's lightness, the grating's amplitude
SPEC = NetworkSpec("tests.helpers.tiny_networks.PlantedNet", num_classes=8)
PLANTED_FILTER = 8  # the judged layer's maps: the block's 8, then the detector's


def landmarks() -> np.ndarray:
    """68 points: brows across the top, eyes below them, the nose in the middle, the mouth low, the chin last."""
    points = np.zeros((68, 2), np.float32)
    points[:17] = np.stack([np.linspace(3, 29, 17), np.full(17, 30.0)], axis=1)  # jaw (not a region)
    points[17:27] = np.stack([np.linspace(6, 26, 10), np.full(10, 6.0)], axis=1)
    points[36:42] = np.stack([np.linspace(7, 13, 6), np.full(6, 11.0)], axis=1)
    points[42:48] = np.stack([np.linspace(19, 25, 6), np.full(6, 11.0)], axis=1)
    points[27:36] = np.stack([np.full(9, 16.0), np.linspace(12, 19, 9)], axis=1)
    points[48:68] = np.stack([np.linspace(10, 22, 20), np.full(20, 24.0)], axis=1)
    for index in REGION_LANDMARKS["chin"]:
        points[index] = (16.0 + (index - 8), 29.0) if index != 57 else (16.0, 27.0)
    return points


def faces(people: range, rng: np.random.Generator, sequences: int = 4, apex_frames: int = 2) -> ProbeSet:
    codes = sorted(ACTION_UNITS)
    mouth = (slice(22, 27), slice(10, 23))
    stripes = np.where(np.arange(SIZE) % 2 == 0, 1.0, -1.0)[None, :]
    images, present, sequence, emotion, apex, subject = [], [], [], [], [], []
    for person in people:
        texture = cv2.resize(rng.normal(0, 1, (4, 4)), (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
        skin = 128 + rng.normal(0, BRIGHTNESS) + 20 * texture  # smooth, and each person lighter or darker
        for s in range(sequences):
            aus = rng.random(len(codes)) < 0.4
            aus[codes.index(PLANTED_AU)] = s % 2 == rng.integers(2)  # about half, within every emotion
            feeling = int(rng.integers(1, 8))
            for frame in range(apex_frames + 1):
                image = skin.copy()
                if frame and aus[codes.index(PLANTED_AU)]:
                    image[mouth] += GRATING * stripes[:, mouth[1]]
                images.append(np.clip(image, 0, 255).astype(np.uint8))
                present.append(aus if frame else np.zeros_like(aus))
                sequence.append(person * 100 + s)
                emotion.append(feeling if frame else 0)
                apex.append(frame > 0)
                subject.append(f"S{person:03d}")
    n = len(images)
    return ProbeSet(
        np.stack(images),
        codes,
        np.array(present, bool),
        np.repeat(landmarks()[None], n, axis=0),
        np.array(sequence),
        np.array(emotion),
        np.array(apex),
        np.array(subject),
    )


@pytest.fixture(scope="module")
def verdict():
    rng = np.random.default_rng(0)
    selection, evidence = faces(range(0, 12), rng), faces(range(12, 40), rng)
    torch.manual_seed(0)
    network = SPEC.build().eval()
    # the grating's columns alternate: a detector of that pattern, silent on smooth skin
    network.plant_(np.array([[-1.0, 2.0, -1.0]] * 3), -0.5 * GRATING / 255)
    settings = AnalysisSettings(shuffles=200, control_seeds=12, layer="judged")
    return analyse_network(network, selection, evidence, settings).fau


def test_the_planted_unit_is_found_and_nothing_else(verdict) -> None:
    recovered = {v.au: v for v in verdict.verdicts if v.recovered}
    assert list(recovered) == [PLANTED_AU]
    assert recovered[PLANTED_AU].best_unit // verdict.cells**2 == PLANTED_FILTER
    assert recovered[PLANTED_AU].found_in == "mouth"


def test_the_controls_are_the_same_architecture_untrained() -> None:
    torch.manual_seed(0)
    network = SPEC.build()
    network.plant_(np.zeros((3, 3)), 1.0)
    first, again, other = (untrained_copy(network, seed) for seed in (0, 0, 1))
    assert type(first).__name__ == "PlantedNet" and first.detector[0].bias.item() != 1.0
    assert torch.equal(first.detector[0].weight, again.detector[0].weight)
    assert not torch.equal(first.detector[0].weight, other.detector[0].weight)


def test_a_layer_that_cannot_tell_any_regions_apart_says_so(verdict) -> None:
    from dataclasses import replace

    from fau_lightning.analysis.pipeline import verdict_line
    from fau_lightning.analysis.regions import REGIONS

    assert "too far apart to tell any two facial regions apart" not in verdict_line(verdict)
    everything_merged = replace(verdict, merged_regions=(tuple(REGIONS),))
    assert "the region test cannot pass and nothing can be recovered" in verdict_line(everything_merged)
