"""What analysis needs from a dataset besides images: AU labels and landmarks, per image."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ProbeSet:
    images: np.ndarray  # uint8 (N, S, S), as the network sees them (before normalisation)
    au_codes: list[int]  # the AUs that columns of au_present stand for; empty: no AU labels
    au_present: np.ndarray  # bool (N, U)
    landmarks: np.ndarray  # float32 (N, 68, 2) in image pixels; NaN where unknown

    @property
    def has_aus(self) -> bool:
        return len(self.au_codes) > 0 and bool(self.au_present.any())

    def sample(self, max_images: int, seed: int = 0) -> "ProbeSet":
        """At most max_images of them, drawn without replacement (all, in order, if fewer)."""
        if len(self.images) <= max_images:
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self.images), max_images, replace=False))
        return ProbeSet(self.images[keep], self.au_codes, self.au_present[keep], self.landmarks[keep])
