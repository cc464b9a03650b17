"""Progress of a long fit, from its first second: the set-up's stages, then evaluations, objective and time.

``lmer(..., verbose=True)`` prints a line when each stage of the set-up starts and ends (reading the
data, coding the design, the cross-products), so that a large fit is never silent, then a line per
second of optimisation. One clock runs through all of it.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager


class Progress:
    """Prints one line per ``interval`` seconds of fitting (and the first evaluation) to ``stream``."""

    def __init__(self, stream=None, interval: float = 1.0):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.started = time.perf_counter()
        self.last = None
        self.count = 0
        self.best = float("inf")

    def __call__(self, theta, value: float) -> None:
        self.count += 1
        self.best = min(self.best, value)
        now = time.perf_counter()
        if self.last is None or now - self.last >= self.interval:
            self.last = now
            self._line(f"evaluation {self.count:5d}  objective {value:.10g}  best {self.best:.10g}")

    @contextmanager
    def stage(self, text: str):
        """Announce ``text`` now and how long it took when it ends."""
        self._line(f"{text} ...")
        started = time.perf_counter()
        yield
        self._line(f"{text}: done in {time.perf_counter() - started:.2f} s")

    def note(self, text: str) -> None:
        """One line of information (the size of the data, of the design)."""
        self._line(text)

    def finish(self, message: str) -> None:
        self._line(f"done after {self.count} evaluations: {message}; objective {self.best:.10g}")

    def _line(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.started:8.2f} s] {text}", file=self.stream, flush=True)
