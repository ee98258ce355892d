"""The analysis's speed-ups change no verdict: channels-last convolutions, forward passes stopped at the
judged layer with each ReLU after its max pool, the untrained networks' shared input normalisation
made once, occlusion of just the images the region test reads, and the separable distance computation
of the region maps give the verdict that the plain computation gives, on a trained checkpoint of the
tiny set.
"""

from pathlib import Path

import numpy as np
import pytest

from fau_lightning.analysis import activations, controls, filters, occlusion
from fau_lightning.analysis import pipeline as verdict_module
from fau_lightning.analysis.evidence import analysis_probes
from fau_lightning.analysis.pipeline import fau_verdict, prepare_evidence
from fau_lightning.analysis.regions import NO_REGION, REGIONS
from fau_lightning.analysis.settings import AnalysisSettings
from fau_lightning.cli.train import build_config
from fau_lightning.facs import REGION_LANDMARKS
from fau_lightning.tasks import load_task
from tests.helpers.tiny import REPO, tiny_data_args


def plain_region_maps(landmarks: np.ndarray, size: int, reach: float = 0.3) -> np.ndarray:
    """Every pixel's distance to every region landmark as one (P, L, 2) difference, image by image."""
    owner = {}
    for r, name in enumerate(REGIONS):
        for index in REGION_LANDMARKS[name]:
            owner.setdefault(index, r)
    indices, region_of = np.array(list(owner)), np.array(list(owner.values()))
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1)
    maps = np.full((len(landmarks), size * size), NO_REGION, np.int8)
    for n, points in enumerate(landmarks):
        if np.isnan(points).any():
            continue
        eyes = np.linalg.norm(points[36:42].mean(axis=0) - points[42:48].mean(axis=0))
        distance = np.linalg.norm(pixels[:, None, :] - points[indices][None], axis=2)
        nearest = distance.argmin(axis=1)
        close = distance[np.arange(len(pixels)), nearest] <= reach * eyes
        maps[n, close] = region_of[nearest[close]]
    return maps.reshape(len(landmarks), size, size)


def test_region_maps_match_the_plain_definition() -> None:
    rng = np.random.default_rng(0)
    landmarks = (rng.uniform(6, 26, (68, 2))[None] + rng.normal(0, 1, (3, 68, 2))).astype(np.float32)
    landmarks[1] = np.nan
    assert np.array_equal(occlusion.region_label_maps(landmarks, 32), plain_region_maps(landmarks, 32))


def test_the_fast_measurement_gives_the_plain_verdict(
    tiny_checkpoint: Path, tiny_synthetic_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ["--config", str(REPO / "configs" / "synthetic.yaml"), *tiny_data_args(tiny_synthetic_root, tmp_path, 4)]
    datamodule = build_config(config).datamodule
    datamodule.prepare_data()
    model = load_task(tiny_checkpoint).model.eval()
    selection, evidence = analysis_probes(datamodule)
    settings = AnalysisSettings(shuffles=200, control_seeds=3, control_precision="32")

    def verdict():
        prepared = prepare_evidence(model, selection, evidence, settings, None)
        return fau_verdict(model, prepared, settings)

    fast, fast_units = verdict()
    plain_maxima = activations.spatial_maxima

    def whole_forward(model, layer, images, captured):  # all the features in order, the layer read by its hook
        model.features(images)
        return captured.pop()

    def plain(model, layer, batches, device="cpu", cells=1, channels_last=False):
        return plain_maxima(model, layer, batches, device, cells, channels_last=False)

    monkeypatch.setattr(activations, "_forward_to", whole_forward)
    monkeypatch.setattr(filters, "spatial_maxima", plain)
    monkeypatch.setattr(controls, "spatial_maxima", plain)
    monkeypatch.setattr(verdict_module, "region_label_maps", plain_region_maps)
    monkeypatch.setattr(verdict_module, "peak_frames", lambda values, *_: np.arange(len(values)))  # occlude all
    slow, slow_units = verdict()
    assert len(fast.verdicts) >= 3
    assert np.abs(fast_units.evidence.values - slow_units.evidence.values).max() < 1e-4
    for a, b in zip(fast.verdicts, slow.verdicts, strict=True):
        assert (a.au, a.best_unit, a.failed, a.found_in) == (b.au, b.best_unit, b.failed, b.found_in)
        assert a.auroc == pytest.approx(b.auroc, abs=1e-3) and a.control_p == pytest.approx(b.control_p, abs=1e-3)
