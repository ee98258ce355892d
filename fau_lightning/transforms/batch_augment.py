"""The paper's augmentation for whole batches on any device (the accelerator path).

Same draws and ranges as `augment.py` (flip, ±5° rotation, 0.7-1.4 scale with the translation
coupled to it, then img^a * b + c min-max rescaled per image), done with one `affine_grid` +
`grid_sample` per batch instead of one albumentations call per image in a worker. Parameters come
from a torch Generator on the CPU (a few numbers per image) and move to the batch's device, so a
seed gives the same draws on any device.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from fau_lightning.transforms.augment import AugmentRanges


@dataclass(frozen=True)
class BatchParams:
    """One draw per image, as (B,) tensors: the batched form of `augment.AugmentParams`."""

    flip: torch.Tensor  # bool
    rotation: torch.Tensor  # degrees
    scale: torch.Tensor
    shift_x: torch.Tensor  # share of the side
    shift_y: torch.Tensor
    power: torch.Tensor
    gain: torch.Tensor
    offset: torch.Tensor


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator, device=generator.device)


def sample_batch_params(n: int, generator: torch.Generator, r: AugmentRanges = AugmentRanges()) -> BatchParams:
    """Draws on the generator's device, from the distributions `augment.sample_params` uses."""
    scale = _uniform(n, *r.scale, generator)
    room = (scale - 1).abs() / 2
    return BatchParams(
        flip=torch.rand(n, generator=generator, device=generator.device) < r.flip_p,
        rotation=_uniform(n, -r.max_rotation, r.max_rotation, generator),
        scale=scale,
        shift_x=(2 * torch.rand(n, generator=generator, device=generator.device) - 1) * room,
        shift_y=(2 * torch.rand(n, generator=generator, device=generator.device) - 1) * room,
        power=_uniform(n, *r.power, generator),
        gain=_uniform(n, *r.gain, generator),
        offset=_uniform(n, *r.offset, generator),
    )


def _reflect_101(coords: torch.Tensor, size: int) -> torch.Tensor:
    """Fold coordinates from -1 to 1 back into the image as OpenCV's BORDER_REFLECT_101 does
    (mirror about the edge pixels' centres), which albumentations uses and grid_sample lacks.
    """
    pixels = ((coords + 1) * size - 1) / 2
    period = 2 * (size - 1)
    folded = torch.remainder(pixels, period)
    folded = torch.where(folded > size - 1, period - folded, folded)
    return (2 * folded + 1) / size - 1


def apply_batch(images: torch.Tensor, p: BatchParams) -> torch.Tensor:
    """Float (B, C, S, S) in [0, 1] -> float32 (B, C, S, S) in [0, 1].

    The image is flipped, then rotated and scaled about its centre and shifted, as albumentations'
    Affine does it; grid_sample needs the inverse map, output -> input, in coordinates from -1 to 1.
    """
    images = images.float()
    angle = p.rotation.float() * (math.pi / 180)
    cos, sin = torch.cos(angle) / p.scale, torch.sin(angle) / p.scale
    height, width = images.shape[-2:]
    # albumentations moves by whole pixels, truncated toward zero; so do we, to draw the same shifts
    tx = 2 * torch.trunc(p.shift_x.float() * width) / width
    ty = 2 * torch.trunc(p.shift_y.float() * height) / height
    # inverse of "rotate by -angle (counter-clockwise as seen, y pointing down) and scale", then undo the shift
    a = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)  # (B, 2, 2)
    b = -(a @ torch.stack([tx, ty], 1).unsqueeze(2)).squeeze(2)
    theta = torch.cat([a, b.unsqueeze(2)], 2)
    theta[:, 0] *= torch.where(p.flip, -1.0, 1.0).to(theta).unsqueeze(1)  # flip first: sample the input at -x
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    grid = torch.stack([_reflect_101(grid[..., 0], width), _reflect_101(grid[..., 1], height)], -1)
    warped = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    shape = (-1,) + (1,) * (images.dim() - 1)
    jittered = warped.clamp_min(0).pow(p.power.view(shape)) * p.gain.view(shape) + p.offset.view(shape)
    low = jittered.amin(dim=(1, 2, 3), keepdim=True)
    high = jittered.amax(dim=(1, 2, 3), keepdim=True)
    span = high - low
    return torch.where(span > 0, (jittered - low) / span.clamp_min(1e-12), torch.zeros_like(jittered))


class BatchAugmentation:
    """Callable on a batch, with its own CPU generator: the same draws for a seed whatever the batch's device."""

    def __init__(self, ranges: AugmentRanges = AugmentRanges(), seed: int = 0) -> None:
        self.ranges = ranges
        self.generator = torch.Generator()
        self.generator.manual_seed(seed)

    def draw(self, n: int) -> BatchParams:
        """The next `n` images' parameters (drawn and dropped: a resume passing batches already trained on)."""
        return sample_batch_params(n, self.generator, self.ranges)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        params = self.draw(len(images))
        moved = BatchParams(**{name: getattr(params, name).to(images.device) for name in params.__dataclass_fields__})
        return apply_batch(images, moved)
