"""The OpenSearch probe: cluster health, then one document bulk-indexed and deleted."""

from __future__ import annotations

import socket
import time

from ids2 import TYPE_CHECKING
from ids2.common.deadline import ProbeError
from ids2.shipping.opensearch.http import OpenSearchHTTP, OpenSearchHTTPError

if TYPE_CHECKING:
    from typing import Any

PROBE_INDEX_PREFIX = "ids2-probe"
_ADVICE = {
    401: "check the credentials",
    403: "the role or user may not do this (fine-grained access control?)",
    429: "the cluster is overloaded",
}


def _describe(error: Exception, timeout: float) -> str:
    if isinstance(error, OpenSearchHTTPError):
        advice = _ADVICE.get(error.status)
        return f"{error} ({advice})" if advice else str(error)
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s"
    return f"{type(error).__name__}: {error}"


def probe(client: OpenSearchHTTP, read_only: bool) -> dict[str, Any]:
    """Check health and (unless read-only) that a bulk write is accepted."""
    try:
        health = client.request("GET", "/_cluster/health")
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
        response = client.request("POST", "/_bulk", [{"index": {"_index": index}}, document])
        if response.get("errors"):
            item = response["items"][0]["index"]
            raise ProbeError(f"bulk probe refused: {item.get('status')} {item.get('error')}")
        client.request("DELETE", f"/{index}", params={"ignore_unavailable": "true"})
        return details
    except (OpenSearchHTTPError, OSError) as error:
        raise ProbeError(f"OpenSearch probe failed: {_describe(error, client.timeout)}") from None
