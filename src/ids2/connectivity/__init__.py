"""Connectivity probes of the OpenSearch endpoint, each bounded by a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ids2.common.deadline import ProbeError


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
