"""Progress lines for long commands: each stage's steps with the time spent and an estimate of what is left."""

import sys
import time


class StageProgress:
    """A `Progress` callable (stage, done, total) that prints one line per step to stderr:
    `fau-analyze: occlusion 2/5 (14 s; about 21 s left)`.
    """

    def __init__(self, prog: str) -> None:
        self.prog = prog
        self._stage: str | None = None
        self._started = self._last = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != self._stage:  # the first step of a stage ended: its clock started with the last message
            self._stage, self._started = stage, self._last
        elapsed = now - self._started
        left = elapsed / done * (total - done) if done else float("nan")
        tail = f"; about {left:.0f} s left" if done < total else ""
        print(f"{self.prog}: {stage} {done}/{total} ({elapsed:.0f} s{tail})", file=sys.stderr, flush=True)
        self._last = now

    def note(self, message: str) -> None:
        """A line of its own (a stage without steps); restarts the clock for the next stage."""
        print(f"{self.prog}: {message}", file=sys.stderr, flush=True)
        self._last = time.perf_counter()
