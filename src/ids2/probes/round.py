"""One round of connectivity checks against the configured endpoint, each step gated on the last.

Shared by the connectivity controller and the deploy's phase D.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ids2.config.load import Config
from ids2.errors import Ids2Error
from ids2.probes import ProbeError, ProbeResult, timed
from ids2.probes.network import resolve, tcp_connect, tls_context, tls_handshake


def _opensearch(config: Config, timeout: float) -> dict[str, Any]:
    from ids2.adapters.opensearch_client import make_client
    from ids2.probes.opensearch import probe

    try:
        client = make_client(config, timeout)
    except Ids2Error as error:
        raise ProbeError(str(error)) from None
    return probe(client, config["shipping"]["opensearch"]["probe_read_only"])


def probe_round(config: Config) -> dict[str, ProbeResult]:
    """DNS, TCP, TLS (for https) and OpenSearch; stops at the first failing step."""
    opensearch = config["shipping"]["opensearch"]
    timeout = float(config["connectivity"]["timeout_seconds"])
    parts = urlsplit(opensearch["endpoint"])
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses: list[str] = []

    def dns() -> dict[str, Any]:
        addresses.extend(resolve(host, port, timeout))
        return {"addresses": addresses}

    checks = {"dns": timed(dns)}
    if checks["dns"].ok:
        checks["tcp"] = timed(lambda: tcp_connect(addresses[0], port, timeout))
    if checks.get("tcp") and checks["tcp"].ok and parts.scheme == "https":
        context = tls_context(opensearch["ca_bundle"], opensearch["verify_tls"])
        checks["tls"] = timed(lambda: tls_handshake(host, addresses[0], port, context, timeout))
    if all(result.ok for result in checks.values()) and "tcp" in checks:
        checks["opensearch"] = timed(lambda: _opensearch(config, timeout))
    return checks
