"""Chance at the level the data is sampled: AU sets shuffled between whole sequences.

A CK+ sequence contributes several near-identical peak frames, all with the sequence's AUs, and a
neutral first frame with none. Shuffling labels image by image breaks that structure and makes
chance look narrower than it is; here each sequence's AU set moves as one to another sequence, its
peak frames take the new set, and neutral frames keep none.
"""

from dataclasses import dataclass

import numpy as np

from fau_lightning.analysis.probes import ProbeSet

NEUTRAL_STRATUM = 0  # neutral frames, whatever their sequence's emotion: they never show an AU


@dataclass(frozen=True)
class SequenceDesign:
    """How a probe set's images group into sequences."""

    index: np.ndarray  # (N,) each image's sequence, 0..G-1
    apex: np.ndarray  # (N,) bool, a coded peak frame
    au_sets: np.ndarray  # (G, U) bool, the AUs coded for each sequence
    emotion: np.ndarray  # (G,) each sequence's emotion code (its peak frames'), NO_EMOTION if unlabelled
    person: np.ndarray  # (N,) the person each image shows, 0..P-1: what resampling draws (effect_sizes.py)

    @staticmethod
    def of(probe: ProbeSet, columns: list[int] | None = None) -> "SequenceDesign":
        """The design of `probe`, with its AU columns (all by default)."""
        present = probe.au_present if columns is None else probe.au_present[:, columns]
        _, index = np.unique(probe.sequence, return_inverse=True)
        groups = int(index.max()) + 1 if len(index) else 0
        au_sets = np.zeros((groups, present.shape[1]), bool)
        np.logical_or.at(au_sets, index[probe.apex], present[probe.apex])
        emotion = np.full(groups, NEUTRAL_STRATUM)
        emotion[index[probe.apex]] = probe.emotion[probe.apex]
        _, person = np.unique(probe.subject, return_inverse=True)
        return SequenceDesign(index, probe.apex, au_sets, emotion, person)

    @property
    def labels(self) -> np.ndarray:
        """(N, U) the images' AU labels as the design gives them."""
        return self.au_sets[self.index] & self.apex[:, None]

    @property
    def strata(self) -> np.ndarray:
        """(N,) the emotion stratum of each image: its sequence's emotion for peak frames, NEUTRAL_STRATUM otherwise."""
        return np.where(self.apex, self.emotion[self.index], NEUTRAL_STRATUM)

    def shuffled_labels(self, shuffles: int, seed: int = 0, within_emotion: bool = False) -> np.ndarray:
        """(shuffles, N, U) image labels after giving each sequence another sequence's AU set, at random
        among all sequences or, `within_emotion`, among sequences of the same emotion only.
        """
        rng = np.random.default_rng(seed)
        groups = len(self.au_sets)
        blocks = (
            [np.flatnonzero(self.emotion == e) for e in np.unique(self.emotion)]
            if within_emotion
            else [np.arange(groups)]
        )
        out = np.empty((shuffles, len(self.index), self.au_sets.shape[1]), bool)
        for s in range(shuffles):
            source = np.arange(groups)
            for block in blocks:
                source[block] = block[rng.permutation(len(block))]
            out[s] = self.au_sets[source][self.index] & self.apex[:, None]
        return out

    def sequence_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(positives (U,), negatives (U,)) in sequences."""
        positives = self.au_sets.sum(axis=0)
        return positives, len(self.au_sets) - positives

    def within_emotion_positives(self) -> np.ndarray:
        """(U,) positive sequences in emotion strata that also hold a negative one: the AU's evidence within emotion."""
        count = np.zeros(self.au_sets.shape[1], np.int64)
        for e in np.unique(self.emotion):
            block = self.au_sets[self.emotion == e]
            positives = block.sum(axis=0)
            count += np.where(positives < len(block), positives, 0)
        return count


def co_occurrence(au_sets: np.ndarray) -> np.ndarray:
    """(U, U) share of the sequences showing AU i (row) that also show AU j; the diagonal is zeroed."""
    au_sets = np.asarray(au_sets, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = (au_sets.T @ au_sets) / au_sets.sum(axis=0)[:, None]
    np.fill_diagonal(shares, 0)
    return np.nan_to_num(shares)
