import numpy as np
import pytest

from fau_lightning.analysis.probes import NO_EMOTION, ProbeSet
from fau_lightning.errors import InputError


def _probe(au_codes: list[int], au_present: np.ndarray, subject: str) -> ProbeSet:
    n = len(au_present)
    return ProbeSet(
        images=np.zeros((n, 4, 4), np.uint8),
        au_codes=au_codes,
        au_present=au_present,
        landmarks=np.full((n, 68, 2), np.nan, np.float32),
        sequence=np.arange(n),
        emotion=np.full(n, NO_EMOTION),
        apex=np.ones(n, bool),
        subject=np.array([subject] * n),
    )


def test_parts_coding_the_same_aus_in_another_order_are_matched_by_code() -> None:
    first = _probe([1, 12], np.array([[True, False], [False, True]]), "a")
    swapped = _probe([12, 1], np.array([[True, False], [False, True]]), "b")  # AU 12, then AU 1
    joined = ProbeSet.concatenate([first, swapped])
    assert joined.au_codes == [1, 12]
    assert joined.au_present.tolist() == [[True, False], [False, True], [False, True], [True, False]]
    assert joined.sequence.tolist() == [0, 1, 2, 3]


def test_parts_coding_different_aus_are_refused_in_one_line() -> None:
    with pytest.raises(InputError, match=r"code different AUs: \[1, 12\] and \[1, 4\]"):
        none = np.zeros((1, 2), bool)
        ProbeSet.concatenate([_probe([1, 12], none, "a"), _probe([4, 1], none, "b")])
