"""Progress of a long fit: evaluations, objective and elapsed time, printed as the fit runs."""

from __future__ import annotations

import sys
import time


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

    def finish(self, message: str) -> None:
        self._line(f"done after {self.count} evaluations: {message}; objective {self.best:.10g}")

    def _line(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.started:8.2f} s] {text}", file=self.stream, flush=True)
