"""Time limits for work that calls out: a probe's failure, and a round's shared deadline."""

from __future__ import annotations

import time

from ids2.errors import Ids2Error


class ProbeError(Ids2Error):
    """A probe failed; the message says what and where."""


class Deadline:
    """The end of a round's time budget, shared by the checks it runs one after another.

    Each check's own timeout holds for one socket operation; a round of several checks,
    each of several operations, needs one limit for the whole, or it outlasts the
    watchdog while the endpoint blackholes.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never below zero."""
        return max(self.ends_at - time.monotonic(), 0.0)

    def limit(self, timeout: float, what: str) -> float:
        """`timeout` cut to what is left; raises ProbeError when nothing is left for `what`."""
        remaining = self.remaining()
        if remaining <= 0.0:
            raise ProbeError(f"{what} not attempted: the round used up its {self.seconds:g} s")
        return min(timeout, remaining)
