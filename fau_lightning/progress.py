"""Progress of long stages, said through the "fau_lightning" logger: the console commands show it on
stderr (`cli/common.show_progress`), and each report keeps the lines that made it (progress.log).
"""

import logging
import time
from collections.abc import Callable

log = logging.getLogger("fau_lightning")

Progress = Callable[[str, int, int], None]  # (stage, done, total), told as each step of a stage ends
StepProgress = Callable[[int, int], None]  # (done, total): one stage's steps, as a stage's own function tells them


class StageProgress:
    """A `Progress` that says each stage's steps, e.g. `untrained networks 2/30 (11 s; about 160 s left)`.

    A step is said when it is a stage's first or last, or when `every` seconds have passed since the
    last line, so a long stage is never silent for longer and a fast one fills no screen; step 0, told
    where a long first step begins, is always said. Every line said is kept in `lines`, with the time of
    day.
    """

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.lines: list[str] = []
        self._stage: str | None = None
        self._started = self._last = self._said = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != self._stage:  # the first step of a stage ended: its clock started with the last message
            self._stage, self._started = stage, self._last
        self._last = now
        if done not in (0, 1, total) and now - self._said < self.every:
            return
        if done == 0:  # told as the stage's first step begins
            self._say(f"{stage} 0/{total}")
            return
        elapsed = now - self._started
        left = elapsed / done * (total - done)
        tail = f"; about {left:.0f} s left" if done < total else ""
        self._say(f"{stage} {done}/{total} ({elapsed:.0f} s{tail})")

    def note(self, message: str) -> None:
        """A line of its own (a stage without steps); restarts the clock for the next stage."""
        self._say(message)
        self._last = time.perf_counter()

    def _say(self, message: str) -> None:
        log.info(message)
        self.lines.append(f"{time.strftime('%H:%M:%S')} {message}")
        self._said = time.perf_counter()
