"""The verify controller: proves ingestion end to end with canary events.

It appends a canary to the RAM disk, then looks for it in the sink (OpenSearch, or the
local spool when no endpoint is configured) about once a second until it arrives or the
timeout passes, and publishes the end-to-end latency and the counts. Its health follows
the most recent canary: found in time, late (not found within the timeout; still looked
for until the next one goes out) or lost (never found). When `ids2 up` could not start the
stack, a late or lost canary is reported with the reason, not as a mystery.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ids2 import TYPE_CHECKING
from ids2.config.values import Config
from ids2.controllers.base import Controller
from ids2.logsetup import Logger
from ids2.shipping.canary import send_canary
from ids2.shipping.canary_sinks import OpenSearchSink, SpoolSink
from ids2.stack.up_state import not_running_reason
from ids2.state import StateStore
from ids2.system.pace import pace_factor

if TYPE_CHECKING:
    from ids2.shipping.canary_sinks import CanarySink

log = Logger(__name__)
POLL_SECONDS = 1.0


def make_sink(config: Config) -> CanarySink:
    """OpenSearch when an endpoint is configured, else the local spool."""
    shipping = config["shipping"]
    prefix = shipping["opensearch"]["index_prefix"]
    if not shipping["opensearch"]["endpoint"]:
        return SpoolSink(Path(shipping["spool"]["directory"]), prefix)
    from ids2.connectivity.round import ROUND_BUDGET_SECONDS
    from ids2.shipping.opensearch.http import make_http_client

    timeout = float(config["connectivity"]["timeout_seconds"])
    return OpenSearchSink(make_http_client(config, timeout), prefix, ROUND_BUDGET_SECONDS)


class VerifyController(Controller):
    """Sends a canary each interval and measures how long it takes to become searchable."""

    name = "verify"

    def __init__(
        self,
        config: Config,
        state: StateStore,
        sink: CanarySink | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(config, state)
        self.sink = sink
        self.clock = clock
        self.pending: dict[str, float] = {}
        self.overdue: dict[str, float] = {}
        self.next_canary_at = 0.0
        self.sent = self.found = self.failed = 0
        self.last_outcome: str | None = None
        self.last_latency: float | None = None
        self.last_success_at: float | None = None
        self.last_error: str | None = None

    def setup(self) -> None:
        if self.sink is None:
            self.sink = make_sink(self.config)

    def apply_config(self, config: Config) -> None:
        super().apply_config(config)
        self.sink = make_sink(config)

    def interval(self) -> float:
        waiting = self.pending or self.overdue
        return POLL_SECONDS if waiting else max(self.next_canary_at - self.clock(), 0.0)

    def step(self) -> str:
        now = self.clock()
        if self.pending or self.overdue:
            self._look(now)
        if not self.pending and now >= self.next_canary_at:
            self._send(now)
        return self.publish(
            self._summary(),
            healthy=self.last_error is None and self.last_outcome in (None, "found"),
            sink=self.sink.name if self.sink else None,
            last_outcome=self.last_outcome,
            last_latency_seconds=self.last_latency,
            last_success_at=self.last_success_at,
            canaries_sent_total=self.sent,
            canaries_found_total=self.found,
            canaries_failed_total=self.failed,
            pending=len(self.pending),
            last_error=self.last_error,
        )

    def _send(self, now: float) -> None:
        """Write the next canary; an overdue one not found by now counts as lost."""
        verify = self.config["verify"]
        self.next_canary_at = now + verify["interval_seconds"] * pace_factor(self.state)
        try:
            canary_id = send_canary(Path(self.config["ramdisk"]["mount_point"]), now)
        except OSError as error:
            self.last_error = f"cannot write a canary: {error}"
            return
        if self.overdue:
            self.overdue.clear()
            self.last_outcome = "lost"
        self.pending[canary_id] = now
        self.sent += 1

    def _look(self, now: float) -> None:
        assert self.sink is not None
        try:
            arrived = self.sink.arrived(set(self.pending) | set(self.overdue))
            self.last_error = None
        except Exception as error:
            arrived, self.last_error = set(), f"{type(error).__name__}: {error}"
        for canary_id in arrived:
            if canary_id in self.pending:
                self.last_latency = round(now - self.pending.pop(canary_id), 3)
                self.last_success_at, self.found, self.last_outcome = now, self.found + 1, "found"
            else:
                self.last_latency = round(now - self.overdue.pop(canary_id), 3)
        timeout = self.config["verify"]["timeout_seconds"]
        for canary_id, sent_at in list(self.pending.items()):
            if now - sent_at > timeout:
                self.overdue[canary_id] = self.pending.pop(canary_id)
                self.failed, self.last_outcome = self.failed + 1, "late"
                log.warning(
                    "canary %s not found in the %s after %.0f s", canary_id, self.sink.name, timeout
                )

    def _summary(self) -> str:
        """The verdict on the most recent canary, which `healthy` follows, and the counts."""
        sink = self.sink.name if self.sink else "?"
        counts = f"({self.found} found, {self.failed} late or lost)"
        if self.last_error:
            return f"{sink}: {self.last_error} {counts}"
        timeout = self.config["verify"]["timeout_seconds"]
        latency = "-" if self.last_latency is None else f"{self.last_latency:.1f} s"
        stack = not_running_reason(self.state) if self.last_outcome in ("lost", "late") else None
        if stack:
            return f"no canary reaches the {sink}: the stack is not running: {stack} {counts}"
        if self.last_outcome == "lost":
            return f"the last canary never reached the {sink} {counts}"
        if self.last_outcome == "late" and self.overdue:
            return f"the last canary is not in the {sink} after {timeout:.0f} s {counts}"
        if self.last_outcome == "late":
            return (
                f"the last canary took {latency} to reach the {sink}, over {timeout:.0f} s {counts}"
            )
        if self.last_outcome is None:
            return f"waiting for the first canary in the {sink} {counts}"
        return f"canary latency {latency} via the {sink} {counts}"
