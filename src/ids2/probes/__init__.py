"""Connectivity probes of the OpenSearch endpoint, each bounded by a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ids2.errors import Ids2Error


class ProbeError(Ids2Error):
    """A probe failed; the message says what and where."""


@dataclass
class ProbeResult:
    """One check's outcome, as it goes into the state file."""

    ok: bool
    latency_seconds: float
    error: str | None
    checked_at: float
    details: dict[str, Any] = field(default_factory=dict)

    def as_state(self) -> dict[str, Any]:
        state = asdict(self)
        state.update(state.pop("details"))
        return state


def timed(check: Callable[[], dict[str, Any]]) -> ProbeResult:
    """Run a check, measuring it; ProbeError and OS errors become a failed result."""
    started, checked_at = time.monotonic(), time.time()
    try:
        details = check()
    except (ProbeError, OSError) as error:
        return ProbeResult(False, time.monotonic() - started, str(error), checked_at)
    return ProbeResult(True, time.monotonic() - started, None, checked_at, details)
