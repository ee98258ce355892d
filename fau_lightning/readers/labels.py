"""Emotion label sets: CK+'s eight codes and the paper's six-class subset."""

from dataclasses import dataclass

import numpy as np

from fau_lightning.errors import SettingError

CK_EMOTIONS = ("neutral", "anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")


@dataclass(frozen=True)
class LabelSet:
    """Maps CK+ emotion codes (0..7) to class indices; codes not in `codes` are dropped."""

    name: str
    codes: tuple[int, ...]

    @property
    def class_names(self) -> list[str]:
        return [CK_EMOTIONS[c] for c in self.codes]

    @property
    def num_classes(self) -> int:
        return len(self.codes)

    def encode(self, emotion_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (kept mask, class index of each kept image); negative codes (unlabelled) are dropped."""
        lookup = np.full(len(CK_EMOTIONS), -1, dtype=np.int64)
        lookup[list(self.codes)] = np.arange(len(self.codes))
        emotion_codes = np.asarray(emotion_codes)
        classes = np.where(emotion_codes >= 0, lookup[np.clip(emotion_codes, 0, None)], -1)
        keep = classes >= 0
        return keep, classes[keep]


LABEL_SETS = {
    "ck8": LabelSet("ck8", tuple(range(8))),
    # The paper's six basic emotions: drop neutral (0) and contempt (2).
    "ck6": LabelSet("ck6", (1, 3, 4, 5, 6, 7)),
}


def get_label_set(name: str) -> LabelSet:
    try:
        return LABEL_SETS[name]
    except KeyError:
        raise SettingError(f"label_set: unknown label set {name!r}; choose one of {sorted(LABEL_SETS)}") from None
