"""Faults a test queues on the front of the real node, and the refusals OpenSearch sends for them.

A fault answers the next matching request(s) with a status instead of the real answer, or
holds them for a while first (status 0: answer normally once the delay is over), so client
retries and timeouts can be exercised deterministically.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tests.doubles.opensearch_responses import error

_CAUSES = {
    403: (
        "security_exception",
        "no permissions for [indices:data/write/bulk] and User [name=ids2, backend_roles=[], "
        "requestedTenant=null]",
    ),
    429: (
        "es_rejected_execution_exception",
        "rejected execution of coordinating operation on the write thread pool (test double)",
    ),
    500: ("exception", "internal failure (test double)"),
    502: ("exception", "bad gateway (test double)"),
    503: ("cluster_block_exception", "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered];"),
    504: ("exception", "gateway timeout (test double)"),
}


def refusal(status: int) -> tuple[int, Any, dict[str, str]]:
    """(status, body, extra headers) of a whole request refused with `status`.

    A 401 is what the security plugin sends for missing or wrong credentials: plain text and
    a Basic challenge, not a JSON error.
    """
    if status == 401:
        return 401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="OpenSearch Security"'}
    kind, reason = _CAUSES.get(status, ("exception", f"status {status} (test double)"))
    return (*error(status, kind, reason), {})


@dataclass
class Fault:
    """Answer `status` (0: the real answer) after `delay_seconds`, `count` more times, to
    requests whose path contains `path`."""

    status: int
    count: int
    delay_seconds: float = 0.0
    path: str = ""


@dataclass
class FaultPlan:
    """The queued faults, first queued first served; shared by the server's request threads."""

    queued: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.queued.append(fault)

    def take(self, path: str) -> Fault | None:
        """The first queued fault for this path, used up by one; None when there is none."""
        with self.lock:
            for fault in self.queued:
                if fault.path in path:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.queued.remove(fault)
                    return fault
        return None
