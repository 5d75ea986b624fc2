"""The OpenSearch probe: cluster health, then one document bulk-indexed and deleted."""

from __future__ import annotations

import socket
import time
from typing import Any

from ids2.probes import ProbeError

PROBE_INDEX_PREFIX = "ids2-probe"


def _describe(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    if status == 401:
        return "401 Unauthorized: check the credentials"
    if status == 403:
        return "403 Forbidden: the role or user may not do this (fine-grained access control?)"
    if status == 429:
        return "429 Too Many Requests: the cluster is overloaded"
    if isinstance(status, int):
        return f"HTTP {status}: {getattr(error, 'error', error)}"
    return f"{type(error).__name__}: {error}"


def probe(client: Any, read_only: bool) -> dict[str, Any]:
    """Check health and (unless read-only) that a bulk write is accepted."""
    from opensearchpy.exceptions import OpenSearchException

    try:
        health = client.cluster.health()
        details: dict[str, Any] = {"cluster_status": health.get("status")}
        if health.get("status") == "red":
            raise ProbeError(f"cluster {health.get('cluster_name')} is red")
        if read_only:
            return details
        index = f"{PROBE_INDEX_PREFIX}-{socket.gethostname().lower()}"
        document = {
            "@timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "event": {"kind": "ids2-probe"},
        }
        response = client.bulk(body=[{"index": {"_index": index}}, document])
        if response.get("errors"):
            item = response["items"][0]["index"]
            raise ProbeError(f"bulk probe refused: {item.get('status')} {item.get('error')}")
        client.indices.delete(index=index, ignore_unavailable=True)
        return details
    except OpenSearchException as error:
        raise ProbeError(f"OpenSearch probe failed: {_describe(error)}") from None
