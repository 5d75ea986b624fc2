"""Connectivity probes of the OpenSearch endpoint, each bounded by a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from ids2 import TYPE_CHECKING
from ids2.common.deadline import ProbeError

if TYPE_CHECKING:
    from typing import Any


class ProbeResult:
    """One check's outcome, as it goes into the state file.

    A plain class rather than a dataclass: see the `ids2` package.
    """

    __slots__ = ("checked_at", "details", "error", "latency_seconds", "ok", "skipped")

    def __init__(
        self,
        ok: bool,
        latency_seconds: float,
        error: str | None,
        checked_at: float,
        details: dict[str, Any] | None = None,
        skipped: bool = False,
    ) -> None:
        self.ok = ok
        self.latency_seconds = latency_seconds
        self.error = error
        self.checked_at = checked_at
        self.details = details if details is not None else {}
        self.skipped = skipped

    @property
    def status(self) -> str:
        """passed, failed, or skipped (not run because an earlier check failed)."""
        if self.skipped:
            return "skipped"
        return "passed" if self.ok else "failed"

    def as_state(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "latency_seconds": self.latency_seconds,
            "error": self.error,
            "checked_at": self.checked_at,
            **self.details,
            "status": self.status,
        }


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
