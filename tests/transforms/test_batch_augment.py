"""The device path's batch augmentation against the CPU path (albumentations in workers): the same
parameters give the same pixels, and both samplers draw from the same distributions.
"""

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp

from fau_lightning.transforms.augment import (
    AugmentParams,
    AugmentRanges,
    PaperAugmentation,
    apply_params,
    sample_params,
)
from fau_lightning.transforms.batch_augment import (
    BatchAugmentation,
    BatchParams,
    apply_batch,
    sample_batch_params,
)

FIELDS = ("flip", "rotation", "scale", "shift_x", "shift_y", "power", "gain", "offset")


def face_like(size: int = 48, seed: int = 0) -> np.ndarray:
    """Smooth blobs and an edge: detail everywhere, so a wrong warp shows."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    image = 40 + 1.5 * xx + 30 * (yy > 0.7 * size)
    for _ in range(5):
        cx, cy, r = rng.uniform(0, size, 2).tolist() + [rng.uniform(3, 10)]
        image += 120 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    return np.clip(image, 0, 255).astype(np.uint8)


def as_batch(params: list[AugmentParams]) -> BatchParams:
    return BatchParams(*(torch.tensor([getattr(p, f) for p in params]) for f in FIELDS))


@pytest.mark.parametrize("size", [48, 96])
def test_same_parameters_give_the_same_pixels_as_the_cpu_path(size: int) -> None:
    rng = np.random.default_rng(1)
    images = [face_like(size, seed) for seed in range(12)]
    params = [sample_params(rng) for _ in images]
    cpu = np.stack([apply_params(im, p) for im, p in zip(images, params, strict=True)])
    batch = torch.from_numpy(np.stack(images)).unsqueeze(1).float() / 255
    device = apply_batch(batch, as_batch(params))[:, 0].numpy()
    difference = np.abs(cpu - device)
    # bilinear interpolation in OpenCV's fixed point against float: small differences, no misplaced pixel
    assert difference.mean() < 0.006 and difference.max() < 0.08


def test_samplers_draw_from_the_same_distributions() -> None:
    n = 4000
    rng = np.random.default_rng(2)
    cpu = [sample_params(rng) for _ in range(n)]
    generator = torch.Generator().manual_seed(2)
    device = sample_batch_params(n, generator)
    r = AugmentRanges()
    assert abs(device.flip.float().mean().item() - 0.5) < 0.03 and abs(np.mean([p.flip for p in cpu]) - 0.5) < 0.03
    for name in FIELDS[1:]:
        a = np.array([getattr(p, name) for p in cpu])
        b = getattr(device, name).numpy()
        assert ks_2samp(a, b).pvalue > 1e-3, name
    assert device.rotation.abs().max() <= r.max_rotation
    assert r.scale[0] <= device.scale.min() and device.scale.max() <= r.scale[1]
    room = (device.scale - 1).abs() / 2
    assert (device.shift_x.abs() <= room).all() and (device.shift_y.abs() <= room).all()


def test_whole_pipelines_give_the_same_intensity_statistics() -> None:
    """Sampling and applying end to end, per image: mean, spread and the [0, 1] stretch."""
    images = np.stack([face_like(48, seed) for seed in range(400)])
    cpu_aug = PaperAugmentation(seed=3)
    cpu = np.stack([cpu_aug(im) for im in images])
    device = BatchAugmentation(seed=3)(torch.from_numpy(images).unsqueeze(1).float() / 255)[:, 0].numpy()
    for out in (cpu, device):
        assert np.allclose(out.min(axis=(1, 2)), 0) and np.allclose(out.max(axis=(1, 2)), 1, atol=1e-5)
    for statistic in (lambda x: x.mean(axis=(1, 2)), lambda x: x.std(axis=(1, 2))):
        assert ks_2samp(statistic(cpu), statistic(device)).pvalue > 1e-3
    # flips: the mirror-image share agrees too (the test images are brighter on the right)
    right_brighter = lambda x: (x[:, :, 24:].mean(axis=(1, 2)) > x[:, :, :24].mean(axis=(1, 2))).mean()  # noqa: E731
    assert abs(right_brighter(cpu) - right_brighter(device)) < 0.1


def test_batch_augmentation_is_reproducible_per_seed_and_keeps_shape() -> None:
    batch = torch.from_numpy(np.stack([face_like(32, s) for s in range(8)])).unsqueeze(1).float() / 255
    a, b, c = BatchAugmentation(seed=5)(batch), BatchAugmentation(seed=5)(batch), BatchAugmentation(seed=6)(batch)
    assert a.shape == batch.shape and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)
