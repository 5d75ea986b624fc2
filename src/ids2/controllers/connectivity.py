"""The connectivity controller: can this box reach OpenSearch, and how well?

Each round resolves the endpoint's host, connects over TCP, completes a verified TLS
handshake (noting days until the certificate expires) and probes OpenSearch itself. While
rounds fail, the next one comes after an exponential backoff with jitter; while the
resource controller asks for a slower pace, healthy rounds are spaced out too.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ids2.config.values import Config
from ids2.connectivity.backoff import backoff_delay
from ids2.controllers.base import Controller
from ids2.logsetup import Logger
from ids2.state import StateStore
from ids2.system.pace import pace_factor

log = Logger(__name__)


class ConnectivityController(Controller):
    """Probes DNS, TCP, TLS and OpenSearch; backs off while failing."""

    name = "connectivity"

    def __init__(self, config: Config, state: StateStore) -> None:
        super().__init__(config, state)
        self.failures = 0
        self._next_interval = 0.0

    def interval(self) -> float:
        return self._next_interval or float(self.config["connectivity"]["interval_seconds"])

    def step(self) -> str:
        endpoint = self.config["shipping"]["opensearch"]["endpoint"]
        if not endpoint:
            return self._spool_only()
        # Imported only with an endpoint: ssl alone costs a spool-only sensor ~4 MB of RSS.
        from ids2.connectivity.round import probe_round

        checks = probe_round(self.config)
        failed = [name for name, result in checks.items() if not result.ok]
        settings = self.config["connectivity"]
        if failed:
            self.failures += 1
            self._next_interval = backoff_delay(
                self.failures,
                settings["backoff_initial_seconds"],
                settings["backoff_max_seconds"],
                settings["backoff_multiplier"],
                settings["backoff_jitter"],
            )
            first = checks[failed[0]]
            summary = f"{failed[0]} failed: {first.error}; retry in {self._next_interval:.0f} s"
        else:
            self.failures = 0
            self._next_interval = settings["interval_seconds"] * pace_factor(self.state)
            latency = sum(result.latency_seconds for result in checks.values())
            summary = f"{urlsplit(endpoint).hostname} reachable ({latency * 1000:.0f} ms)"
        return self.publish(
            summary,
            healthy=not failed,
            endpoint=endpoint,
            checks={name: result.as_state() for name, result in checks.items()},
            consecutive_failures=self.failures,
            next_probe_in_seconds=round(self._next_interval, 1),
        )

    def _spool_only(self) -> str:
        spool = Path(self.config["shipping"]["spool"]["directory"])
        self.failures, self._next_interval = 0, 0.0
        summary = f"no OpenSearch configured: events go to the local spool {spool}"
        return self.publish(
            summary,
            healthy=True,
            endpoint="",
            checks={},
            spool_present=spool.is_dir(),
            consecutive_failures=0,
        )
