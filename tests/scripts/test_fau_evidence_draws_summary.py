"""scripts/fau_evidence_draws_summary.py: two draws contradict only where their claims exclude each other."""

import sys

import pytest

from tests.helpers.tiny import REPO


@pytest.mark.parametrize(
    "first,second,contradicts",
    [
        ("strong", "clear or strong", False),  # one draw settles what the other leaves open
        ("strong", "clear", True),
        ("weak or clear", "clear or strong", False),
        ("weak", "clear or strong", True),
        ("strong", "to AU 4", True),  # a specific detector against a unit that answers AU 4 more
        ("strong", "≈ AU 4", False),
        ("to AU 4", "≈ AU 4", False),
        ("to AU 4", "to AU 26", False),  # which other AU it answers is not the claim
        ("-", "weak", True),  # recovered on one draw only
        ("clear?", "clear or strong", False),
    ],
)
def test_draws_contradict_only_where_their_claims_exclude_each_other(
    first: str, second: str, contradicts: bool
) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import fau_evidence_draws_summary

    assert fau_evidence_draws_summary.contradict(first, second) == contradicts
    assert fau_evidence_draws_summary.contradict(second, first) == contradicts
