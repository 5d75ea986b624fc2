"""A double of the ISM plugin's REST calls that ids2 makes; it is not the plugin.

The index-management plugin is not on Maven Central (org.opensearch.plugin:
opensearch-index-management is refused at 2.19.0.0, 2.19.4.0, 2.19.6.0 and 3.4.0.0 and has
no version listing; only its job-scheduler dependency is served), so no real node here can
answer `/_plugins/_ism/...`. This double keeps policies with `_seq_no`/`_primary_term` and
refuses stale or blind updates as ISM does (409), and attaches policies to the indices the
real node has: the caller passes a function naming the indices an expression matches.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.doubles.opensearch_responses import Response, error

PREFIX = "/_plugins/_ism/"
CONFIG_INDEX = ".opendistro-ism-config"
_WRITE_SHARDS = {"total": 2, "successful": 1, "failed": 0}


@dataclass
class IsmDouble:
    """Policies by id and the policy each index follows; one request at a time."""

    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    managed: dict[str, str] = field(default_factory=dict)  # index: its policy
    lock: threading.Lock = field(default_factory=threading.Lock)
    _sequence: int = 0

    def handle(
        self, method: str, path: str, body: bytes, indices: Callable[[str], list[str]]
    ) -> Response:
        """(status, JSON document) for one request under PREFIX; `indices(expression)`
        names the existing indices an expression matches."""
        route, _, query = path[len(PREFIX) :].partition("?")
        params = dict(part.partition("=")[::2] for part in query.split("&") if part)
        action, _, name = route.partition("/")
        with self.lock:
            if action == "policies" and name:
                return self.policy(method, name, params, body)
            if action in ("add", "change_policy") and method == "POST":
                return self._attach(action == "add", indices(name or "_all"), body)
        return error(400, "illegal_argument_exception", f"the ISM double has no {method} {path}")

    def _attach(self, adding: bool, names: list[str], body: bytes) -> Response:
        """add: the indices without a policy get it; change_policy: those with one."""
        policy_id = json.loads(body)["policy_id"]
        if policy_id not in self.policies:
            return error(404, "status_exception", f"Policy {policy_id} is not found")
        if not names:
            return error(404, "index_not_found_exception", "no such index")
        chosen = [name for name in names if (name in self.managed) != adding]
        self.managed.update(dict.fromkeys(chosen, policy_id))
        failed = [{"index_name": name, "reason": "refused"} for name in names if name not in chosen]
        return 200, {
            "updated_indices": len(chosen),
            "failures": bool(failed),
            "failed_indices": failed,
        }

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def policy(self, method: str, policy_id: str, params: dict[str, str], body: bytes) -> Response:
        """GET, PUT (guarded by if_seq_no/if_primary_term) or DELETE one policy."""
        current = self.policies.get(policy_id)
        if method in ("GET", "HEAD"):
            if current is None:
                return error(404, "status_exception", "Policy not found")
            return 200, {"_id": policy_id, **current}
        if method == "DELETE":
            if current is None:
                return error(404, "status_exception", f"Policy {policy_id} is not found")
            del self.policies[policy_id]
            return 200, {
                "_index": CONFIG_INDEX,
                "_id": policy_id,
                "_version": current["_version"] + 1,
                "result": "deleted",
                "_shards": _WRITE_SHARDS,
                "_seq_no": self._next_sequence(),
                "_primary_term": 1,
            }
        conflict = _conflict(policy_id, current, params)
        if conflict is not None:
            return error(409, "version_conflict_engine_exception", conflict, index=CONFIG_INDEX)
        policy = json.loads(body)["policy"]
        stored = {
            "_version": (current or {}).get("_version", 0) + 1,
            "_seq_no": self._next_sequence(),
            "_primary_term": 1,
            "policy": policy,
        }
        self.policies[policy_id] = stored
        # The PUT answer nests the policy once more than GET does, as documented.
        return (200 if current else 201), {"_id": policy_id, **stored, "policy": {"policy": policy}}


def _conflict(policy_id: str, current: dict[str, Any] | None, params: dict[str, str]) -> str | None:
    """Why ISM refuses this PUT, or None: without if_seq_no/if_primary_term it may only
    create; with them they must name the current version."""
    if "if_seq_no" not in params or "if_primary_term" not in params:
        if current is None:
            return None
        return (
            f"[{policy_id}]: version conflict, document already exists "
            f"(current version [{current['_version']}])"
        )
    wanted = f"required seqNo [{params['if_seq_no']}], primary term [{params['if_primary_term']}]"
    if current is None:
        return f"[{policy_id}]: version conflict, {wanted}. but no document was found"
    if (int(params["if_seq_no"]), int(params["if_primary_term"])) != (
        current["_seq_no"],
        current["_primary_term"],
    ):
        return (
            f"[{policy_id}]: version conflict, {wanted}. current document has seqNo "
            f"[{current['_seq_no']}] and primary term [{current['_primary_term']}]"
        )
    return None
