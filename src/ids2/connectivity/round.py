"""One round of connectivity checks against the configured endpoint, each step gated on the last.

Shared by the connectivity controller and the deploy's phase C. The whole round fits in a
time budget, because the controller's unit is killed when a step outlasts its watchdog.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from ids2 import TYPE_CHECKING
from ids2.common.aside import Aside
from ids2.common.deadline import Deadline, ProbeError
from ids2.common.tls import tls_context
from ids2.config.values import Config
from ids2.connectivity import ProbeResult, skipped, timed
from ids2.connectivity.network import resolve, tcp_connect, tls_handshake
from ids2.errors import Ids2Error

if TYPE_CHECKING:
    from typing import Any

ROUND_BUDGET_SECONDS = 8.0
"""The longest a round may take. The units set WatchdogSec=20 and the runtime pings every
10 s between steps, so a step may delay a ping by its own length: 10 + 8 leaves 2 s for
the rest of the step."""

_opensearch_aside = Aside("opensearch-probe")


def _opensearch(config: Config, deadline: Deadline, timeout: float) -> dict[str, Any]:
    """Make a client and probe; run aside, as neither has an overall time limit."""
    from ids2.connectivity.opensearch import probe
    from ids2.shipping.opensearch.http import make_http_client

    def client_and_probe() -> dict[str, Any]:
        try:
            client = make_http_client(config, min(timeout, deadline.remaining()))
        except Ids2Error as error:
            raise ProbeError(str(error)) from None
        try:
            return probe(client, config["shipping"]["opensearch"]["probe_read_only"])
        finally:
            client.close()  # a round's connection is not kept until the next round

    what = "OpenSearch probe"
    # Up to three requests (health, bulk, delete), each with `timeout` per socket operation.
    return _opensearch_aside.call(client_and_probe, deadline.limit(timeout * 3, what), what)


def probe_round(config: Config, budget: float = ROUND_BUDGET_SECONDS) -> dict[str, ProbeResult]:
    """DNS, TCP, TLS (for https) and OpenSearch within `budget` seconds.

    Every check is always in the result: after the first failure the rest are skipped,
    saying why, so the OpenSearch check reads unreachable whichever step broke.
    """
    deadline = Deadline(budget)
    opensearch = config["shipping"]["opensearch"]
    timeout = float(config["connectivity"]["timeout_seconds"])
    parts = urlsplit(opensearch["endpoint"])
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses: list[str] = []

    def dns() -> dict[str, Any]:
        addresses.extend(resolve(host, port, deadline, timeout))
        return {"addresses": addresses}

    def tls() -> dict[str, Any]:
        context = tls_context(opensearch["ca_bundle"], opensearch["verify_tls"])
        return tls_handshake(host, addresses[0], port, context, deadline, timeout)

    stages: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("dns", dns),
        ("tcp", lambda: tcp_connect(addresses[0], port, deadline, timeout)),
    ]
    if parts.scheme == "https":
        stages.append(("tls", tls))
    stages.append(("opensearch", lambda: _opensearch(config, deadline, timeout)))
    checks: dict[str, ProbeResult] = {}
    for name, check in stages:
        failed = next((earlier for earlier, result in checks.items() if not result.ok), None)
        checks[name] = skipped(f"the {failed} check failed") if failed else timed(check)
    return checks
