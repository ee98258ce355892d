"""StageProgress says a stage's first and last steps, a middle one only after `every` seconds of quiet,
and step 0 (a long first step beginning) always.
"""

import logging

import pytest

from fau_lightning.progress import StageProgress


def test_first_last_and_beginning_are_said_and_quick_middle_steps_are_not(caplog: pytest.LogCaptureFixture) -> None:
    progress = StageProgress(every=3600.0)
    with caplog.at_level(logging.INFO, logger="fau_lightning"):
        for done in range(4):
            progress("untrained networks", done, 3)
        progress("judging", 1, 2)
    said = [line.split(" ", 1)[1] for line in progress.lines]
    assert said[0] == "untrained networks 0/3"
    assert said[1].startswith("untrained networks 1/3 (") and "s left)" in said[1]
    assert said[2].startswith("untrained networks 3/3 (") and "left" not in said[2]
    assert said[3].startswith("judging 1/2 (") and len(said) == 4  # 2/3 fell in the quiet
    assert [r.getMessage() for r in caplog.records] == said


def test_a_middle_step_is_said_once_every_seconds_have_passed() -> None:
    progress = StageProgress(every=0.0)
    for done in range(1, 4):
        progress("occlusion", done, 3)
    assert [line.split(" ", 2)[1] for line in progress.lines] == ["occlusion"] * 3
