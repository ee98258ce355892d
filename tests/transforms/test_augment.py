from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from fau_lightning.datamodules import SyntheticCKPlusDataModule
from fau_lightning.datamodules.base import AugmentedFaces, EpochOrder
from fau_lightning.transforms.augment import (
    AugmentParams,
    AugmentRanges,
    apply_params,
    sample_params,
)
from tests.helpers.tiny import TINY_SYNTHETIC

IDENTITY = AugmentParams(flip=False, rotation=0.0, scale=1.0, shift_x=0.0, shift_y=0.0, power=1.0, gain=1.0, offset=0.0)


def test_drawn_parameters_respect_the_papers_ranges() -> None:
    rng = np.random.default_rng(0)
    draws = [sample_params(rng) for _ in range(4000)]
    flips = np.mean([d.flip for d in draws])
    assert abs(flips - 0.5) < 0.03
    for name, (low, high) in {
        "rotation": (-5, 5),
        "scale": (0.7, 1.4),
        "power": (0.25, 4),
        "gain": (0.7, 1.4),
        "offset": (-0.1, 0.1),
    }.items():
        values = np.array([getattr(d, name) for d in draws])
        assert values.min() >= low and values.max() <= high
        assert values.min() < low + 0.05 * (high - low) and values.max() > high - 0.05 * (
            high - low
        )  # the whole range is used
    for d in draws:  # the shift keeps the crop inside: at most |s - 1| / 2 of the side
        assert abs(d.shift_x) <= abs(d.scale - 1) / 2 and abs(d.shift_y) <= abs(d.scale - 1) / 2


def _bright_pixel_after(params: AugmentParams) -> tuple[int, int]:
    image = np.zeros((96, 96), np.uint8)
    image[48, 58] = 255  # 10.5 px right of the centre (47.5)
    out = apply_params(image, params)
    return tuple(int(v) for v in np.unravel_index(out.argmax(), out.shape))


def test_geometry_flip_scale_shift_rotation() -> None:
    assert _bright_pixel_after(IDENTITY) == (48, 58)
    assert _bright_pixel_after(AugmentParams(**{**IDENTITY.__dict__, "flip": True})) == (48, 37)
    assert _bright_pixel_after(AugmentParams(**{**IDENTITY.__dict__, "scale": 1.4})) == (48, 62)
    assert _bright_pixel_after(AugmentParams(**{**IDENTITY.__dict__, "shift_x": 0.1})) == (48, 67)
    y, x = _bright_pixel_after(AugmentParams(**{**IDENTITY.__dict__, "rotation": 5.0}))
    assert (y, x) != (48, 58) and abs(np.hypot(y - 47.5, x - 47.5) - 10.5) < 1.5  # turned about the centre


def test_intensity_output_is_min_max_rescaled_and_gain_offset_cancel() -> None:
    image = (np.random.default_rng(1).random((32, 32)) * 200 + 20).astype(np.uint8)
    out = apply_params(image, AugmentParams(**{**IDENTITY.__dict__, "power": 2.0, "gain": 0.7, "offset": -0.1}))
    assert out.min() == 0.0 and out.max() == pytest.approx(1.0)
    same = apply_params(image, AugmentParams(**{**IDENTITY.__dict__, "power": 2.0, "gain": 1.4, "offset": 0.1}))
    assert np.allclose(out, same, atol=1e-6)  # as documented: min-max undoes b and c
    x = image.astype(np.float32) / 255
    expected = (x**2 - (x**2).min()) / ((x**2).max() - (x**2).min())
    assert np.allclose(out, expected, atol=1e-6)


@pytest.fixture
def modules(tiny_synthetic_root: Path, tmp_path: Path):
    made = []
    for augment in (False, True):
        dm = SyntheticCKPlusDataModule(
            tiny_synthetic_root, TINY_SYNTHETIC, image_size=32, cache_dir=str(tmp_path), augment=augment
        )
        dm.setup("fit")
        made.append(dm)
    return made


def test_labels_unchanged_and_eval_untouched(modules) -> None:
    plain, augmented = modules
    assert isinstance(augmented.datasets["train"], AugmentedFaces) and not isinstance(
        plain.datasets["train"], AugmentedFaces
    )
    assert torch.equal(plain.datasets["train"].targets, augmented.datasets["train"].targets)
    image, target = augmented.datasets["train"][(0, 3)]
    assert target == plain.datasets["train"][3][1] and image.shape == (1, 32, 32) and image.dtype == torch.float32
    assert not torch.equal(image, plain.datasets["train"][3][0])
    for stage in ("val", "test"):
        assert type(augmented.datasets[stage]) is type(plain.datasets[stage])
        for i in range(len(plain.datasets[stage])):
            assert torch.equal(augmented.datasets[stage][i][0], plain.datasets[stage][i][0])


def _first_batch(dataset, seed: int, workers: int = 0) -> torch.Tensor:
    torch.manual_seed(seed)
    loader = DataLoader(dataset, batch_size=8, sampler=EpochOrder(len(dataset), seeded=True), num_workers=workers)
    return next(iter(loader))[0]


def test_reproducible_per_seed_in_any_process(modules) -> None:
    train = modules[1].datasets["train"]

    def fresh():  # what a new run builds
        return AugmentedFaces(train.images.numpy(), train.targets.numpy())

    assert torch.equal(_first_batch(fresh(), 7), _first_batch(fresh(), 7))
    assert not torch.equal(_first_batch(fresh(), 7), _first_batch(fresh(), 8))
    # the same images whichever process makes them: the main one or two workers
    assert torch.equal(_first_batch(fresh(), 7, workers=2), _first_batch(fresh(), 7))
    torch.manual_seed(7)
    epochs = iter(DataLoader(fresh(), batch_size=8, sampler=EpochOrder(len(train), seeded=True)))
    first = next(epochs)[0]
    torch.manual_seed(7)
    sampler = EpochOrder(len(train), seeded=True)
    list(sampler)  # an epoch goes by
    second = next(iter(DataLoader(fresh(), batch_size=8, sampler=sampler)))[0]
    assert not torch.equal(first, second)  # a second epoch draws anew


def test_each_image_of_an_epoch_draws_its_own_augmentation() -> None:
    same_image = np.repeat((np.random.default_rng(0).random((1, 24, 24)) * 255).astype(np.uint8), 8, axis=0)
    dataset = AugmentedFaces(same_image, np.zeros(8, np.int64), AugmentRanges())
    torch.manual_seed(0)
    batches = list(DataLoader(dataset, batch_size=4, sampler=EpochOrder(8, seeded=True), num_workers=2))
    assert len({tuple(img.flatten()[:50].tolist()) for batch in batches for img in batch[0]}) == 8


OFFLINE_IMPORT = """
import os, sys, urllib.request
calls = []
def refuse(self, *args, **kwargs):
    calls.append(args)
    raise OSError("offline in this test")
urllib.request.OpenerDirector.open = refuse
import importlib
importlib.import_module(sys.argv[1])
print(len(calls), os.environ.get("NO_ALBUMENTATIONS_UPDATE"))
"""


@pytest.mark.parametrize(
    ("module", "said"), [("fau_lightning.transforms.augment", "0 None"), ("albumentations", "1 None")]
)
def test_albumentations_never_reaches_the_network_and_the_environment_is_left_alone(module: str, said: str) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "NO_ALBUMENTATIONS_UPDATE"}
    out = subprocess.run([sys.executable, "-c", OFFLINE_IMPORT, module], capture_output=True, text=True, env=env)
    assert out.stdout.strip().splitlines()[-1] == said  # albumentations alone asks once: the test can see it


def test_importing_the_package_changes_no_environment_variable() -> None:
    import subprocess
    import sys

    code = (
        "import os, cv2, torch, pytorch_lightning, torchmetrics, wandb; before = dict(os.environ); "  # theirs
        "import fau_lightning, fau_lightning.cli.train, fau_lightning.cli.analyze, fau_lightning.cli.predict; "
        "print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"
