"""Connectivity probes of the OpenSearch endpoint, each bounded by a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

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


@dataclass
class ProbeResult:
    """One check's outcome, as it goes into the state file."""

    ok: bool
    latency_seconds: float
    error: str | None
    checked_at: float
    details: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False

    @property
    def status(self) -> str:
        """passed, failed, or skipped (not run because an earlier check failed)."""
        if self.skipped:
            return "skipped"
        return "passed" if self.ok else "failed"

    def as_state(self) -> dict[str, Any]:
        state = asdict(self)
        state.update(state.pop("details"))
        del state["skipped"]
        state["status"] = self.status
        return state


def timed(check: Callable[[], dict[str, Any]]) -> ProbeResult:
    """Run a check, measuring it; ProbeError and OS errors become a failed result."""
    started, checked_at = time.monotonic(), time.time()
    try:
        details = check()
    except (ProbeError, OSError) as error:
        return ProbeResult(False, time.monotonic() - started, str(error), checked_at)
    return ProbeResult(True, time.monotonic() - started, None, checked_at, details)


def skipped(reason: str) -> ProbeResult:
    """A check not run: not ok either, so an alert on it fires whichever check broke."""
    return ProbeResult(False, 0.0, f"skipped: {reason}", time.time(), skipped=True)
