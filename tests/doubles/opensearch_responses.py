"""Response bodies of the OpenSearch test double: the error envelope, shard counts, cluster.

OpenSearch wraps every refusal the same way (`error.root_cause`, `error.type`,
`error.reason`, `status`), so one helper builds it for the store, the bulk items and the
injected faults alike.
"""

from __future__ import annotations

from typing import Any

Response = tuple[int, Any]

SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
WRITE_SHARDS = {"total": 2, "successful": 1, "failed": 0}


def error_cause(kind: str, reason: str, **details: Any) -> dict[str, Any]:
    """One `{"type", "reason", ...}` object, as in `root_cause` and bulk item errors."""
    return {"type": kind, "reason": reason, **details}


def error(status: int, kind: str, reason: str, **details: Any) -> Response:
    """The documented error envelope for a whole request refused with `status`."""
    cause = error_cause(kind, reason, **details)
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}


class RequestRefused(Exception):
    """Raised inside the store to answer the whole request with an OpenSearch error."""

    def __init__(self, status: int, kind: str, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.response = error(status, kind, reason, **details)


def index_not_found(name: str) -> RequestRefused:
    """The 404 OpenSearch gives for a concrete index name that does not exist."""
    return RequestRefused(
        404, "index_not_found_exception", f"no such index [{name}]", index=name, index_uuid="_na_"
    )


def unsupported(what: str) -> RequestRefused:
    """A 400 naming what the double leaves out, so a test fails loudly rather than lies."""
    return RequestRefused(400, "parsing_exception", f"the OpenSearch test double does not {what}")


def cluster_info() -> dict[str, Any]:
    """`GET /`: who answers; the distribution is what clients check."""
    return {
        "name": "ids2-test-double",
        "cluster_name": "ids2-test-double",
        "cluster_uuid": "ids2-test-double-cluster",
        "version": {
            "distribution": "opensearch",
            "number": "2.11.0",
            "build_type": "tar",
            "build_snapshot": False,
            "lucene_version": "9.7.0",
            "minimum_wire_compatibility_version": "7.10.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "The OpenSearch Project: https://opensearch.org/",
    }


def cluster_health(status: str, indices: int) -> dict[str, Any]:
    """`GET /_cluster/health` of a one-node cluster with one shard per index, in `status`."""
    active, unassigned = {
        "green": (indices, 0),
        "yellow": (indices, indices),  # the replicas have no second node to go to
        "red": (0, max(indices, 1)),  # a primary is unassigned
    }[status]
    return {
        "cluster_name": "ids2-test-double",
        "status": status,
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "discovered_cluster_manager": True,
        "active_primary_shards": active,
        "active_shards": active,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": unassigned,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0 * active / max(active + unassigned, 1),
    }
