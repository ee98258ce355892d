"""A split kept whole on the accelerator and served in batches there: no workers, no copies per step.

CK+ at 96x96 is about 12 MB of uint8, so the whole set fits on any device many times over. Each
batch is an index into it, converted to float and, for training, augmented as a batch on the
device (`batch_augment.py`). Under DDP every rank takes its own share, like DistributedSampler.
"""

from collections.abc import Iterator

import torch
from torch.utils.data import DistributedSampler

from fau_lightning.pixels import to_unit_float
from fau_lightning.transforms.augment import AugmentRanges
from fau_lightning.transforms.batch_augment import BatchAugmentation


class DeviceBatches:
    """Iterable of (images float (B, 1, S, S) in [0, 1], targets (B,)) on `device`.

    Training (`shuffle=True`): a new order each epoch from `sampler`, a DistributedSampler that
    Lightning calls `set_epoch` on; ranks get equal shares (a few images repeated if the split does
    not divide), as DDP needs. Evaluation: in order, rank r takes images r, r + W, ..., nothing
    repeated, so metrics synchronised over ranks count every image once.
    """

    def __init__(
        self,
        images: torch.Tensor,
        targets: torch.Tensor,
        batch_size: int,
        device: torch.device,
        shuffle: bool = False,
        augment: AugmentRanges | None = None,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.images = images.to(device)
        self.targets = targets.to(device)
        self.batch_size = batch_size
        self.device = device
        self.augment = augment
        self.seed = seed
        self.rank = rank
        self.sampler = (
            DistributedSampler(range(len(targets)), world_size, rank, shuffle=True, seed=seed) if shuffle else None
        )
        self.batch_sampler = None  # Lightning reads both attributes of anything that has a sampler
        self._eval_indices = torch.arange(rank, len(targets), world_size, device=device)
        self._skip = 0  # batches of the next epoch an unbroken run had already trained on

    def skip_next(self, batches: int) -> None:
        """Begin the next epoch after its first `batches` (a resume from a mid-epoch checkpoint): the same
        order, and the augmentation draws where an unbroken run's would be.
        """
        self._skip = batches

    def _indices(self) -> torch.Tensor:
        if self.sampler is None:
            return self._eval_indices
        return torch.tensor(list(self.sampler), device=self.device)

    def __len__(self) -> int:
        count = len(self.sampler) if self.sampler is not None else len(self._eval_indices)
        return -(-count // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = self._indices()
        augment = None
        if self.augment is not None:
            epoch = self.sampler.epoch if self.sampler is not None else 0
            augment = BatchAugmentation(self.augment, hash((self.seed, epoch, self.rank)) % 2**63)
        skip, self._skip = self._skip, 0
        for number, start in enumerate(range(0, len(indices), self.batch_size)):
            batch = indices[start : start + self.batch_size]
            if number < skip:
                if augment is not None:
                    augment.draw(len(batch))
                continue
            images = to_unit_float(self.images[batch].unsqueeze(1))
            yield (augment(images) if augment is not None else images), self.targets[batch]
