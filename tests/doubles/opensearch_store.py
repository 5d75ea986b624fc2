"""The in-memory side of the OpenSearch test double: indices, documents, templates, ISM.

It routes a request to the answer OpenSearch documents for it. `indices` maps each index
name to its documents by `_id` (the `_source` as sent), so tests can read or seed it
directly; versions and sequence numbers are kept beside it.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.doubles.opensearch_bulk import bulk
from tests.doubles.opensearch_queries import filter_source, matches, resolve_indices, sort_hits
from tests.doubles.opensearch_responses import (
    SHARDS,
    WRITE_SHARDS,
    RequestRefused,
    Response,
    cluster_health,
    cluster_info,
    error,
    index_not_found,
    unsupported,
)

__all__ = ["DocumentStore", "Response"]

ISM_INDEX = ".opendistro-ism-config"


@dataclass
class DocumentStore:
    """Indices of documents by id, index templates and ISM policies; one request at a time.

    `reject_document(source)` returns a reason to refuse a bulk item with a 400
    mapper_parsing_exception, or None to accept it; `item_faults` holds the statuses the
    next bulk items get instead of being written.
    """

    indices: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    managed: dict[str, str] = field(default_factory=dict)  # index: its ISM policy
    reject_document: Callable[[dict[str, Any]], str | None] = lambda source: None
    item_faults: list[int] = field(default_factory=list)
    health_status: str = "green"
    lock: threading.Lock = field(default_factory=threading.Lock)
    _sequence: int = 0

    def documents(self, pattern: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(index, id, source) of every document in the indices `pattern` names."""
        with self.lock:
            names = resolve_indices(pattern, self.indices, ignore_unavailable=True)
            return [(name, i, doc) for name in names for i, doc in self.indices[name].items()]

    def handle(self, method: str, raw_path: str, body: bytes) -> Response:
        """(status, JSON document) answering one request; `body` is already decompressed."""
        parts = urlsplit(raw_path)
        path = [unquote(segment) for segment in parts.path.split("/") if segment]
        params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with self.lock:
            try:
                return self._route(method, path, params, body)
            except RequestRefused as refused:
                return refused.response
            except json.JSONDecodeError as malformed:
                return error(400, "parse_exception", f"the request body is not JSON: {malformed}")

    def _route(self, method: str, path: list[str], params: dict[str, str], body: bytes) -> Response:
        if not path:
            return 200, cluster_info()
        if path == ["_cluster", "health"]:
            return 200, cluster_health(self.health_status, len(self.indices))
        if path[-1] == "_bulk" and len(path) <= 2:
            return bulk(self, body, path[0] if len(path) == 2 else None)
        if path[0] == "_index_template":
            return self._template(method, path[1] if len(path) > 1 else "*", body)
        if path[:3] == ["_plugins", "_ism", "policies"] and len(path) == 4:
            return self._policy(method, path[3], params, body)
        if path[:2] == ["_plugins", "_ism"] and path[2:3] in (["add"], ["change_policy"]):
            return self._attach_policy(path[3] if len(path) == 4 else "_all", body)
        if path[-1] in ("_search", "_count") and len(path) <= 2:
            return self._search(path[0] if len(path) == 2 else "_all", path[-1], params, body)
        if path[-1] == "_refresh" and len(path) <= 2:
            return 200, {"_shards": SHARDS}
        if len(path) in (2, 3) and path[1] == "_doc":
            return self._document(method, path[0], path[2] if len(path) == 3 else None, body)
        if len(path) == 1 and not path[0].startswith("_"):
            return self._index(method, path[0], params)
        raise unsupported(f"route {method} /{'/'.join(path)}")

    def _attach_policy(self, expression: str, body: bytes) -> Response:
        """ISM add / change_policy: the indices `expression` names now follow the policy."""
        policy_id = json.loads(body)["policy_id"]
        if policy_id not in self.policies:
            return error(404, "status_exception", f"Policy {policy_id} is not found")
        names = resolve_indices(expression, self.indices, ignore_unavailable=True)
        if not names:
            return error(404, "index_not_found_exception", f"no such index [{expression}]")
        self.managed.update(dict.fromkeys(names, policy_id))
        return 200, {"updated_indices": len(names), "failures": False, "failed_indices": []}

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def _write_result(self, index: str, doc_id: str, result: str, version: int) -> dict[str, Any]:
        return {
            "_index": index,
            "_id": doc_id,
            "_version": version,
            "result": result,
            "_shards": WRITE_SHARDS,
            "_seq_no": self._next_sequence(),
            "_primary_term": 1,
        }

    def write_document(self, index: str, doc_id: str, source: dict[str, Any]) -> Response:
        """Index (create, or replace under the same `_id`) one document; creates its index."""
        documents = self.indices.setdefault(index, {})
        created = doc_id not in documents
        documents[doc_id] = source
        version = 1 if created else self.versions.get((index, doc_id), 1) + 1
        self.versions[(index, doc_id)] = version
        result = self._write_result(index, doc_id, "created" if created else "updated", version)
        return (201 if created else 200), result

    def delete_document(self, index: str, doc_id: str) -> Response:
        """Delete one document: 200 deleted, or 404 not_found (not an error in a bulk)."""
        found = self.indices.setdefault(index, {}).pop(doc_id, None) is not None
        version = self.versions.pop((index, doc_id), 0) + 1
        result = self._write_result(index, doc_id, "deleted" if found else "not_found", version)
        return (200 if found else 404), result

    def _document(self, method: str, index: str, doc_id: str | None, body: bytes) -> Response:
        if method in ("PUT", "POST"):
            return self.write_document(index, doc_id or uuid.uuid4().hex, json.loads(body))
        if doc_id is None:
            raise unsupported(f"route {method} /{index}/_doc")
        if index not in self.indices:
            raise index_not_found(index)
        if method == "DELETE":
            return self.delete_document(index, doc_id)
        if doc_id not in self.indices[index]:
            return 404, {"_index": index, "_id": doc_id, "found": False}
        return 200, {
            "_index": index,
            "_id": doc_id,
            "_version": self.versions.get((index, doc_id), 1),
            "found": True,
            "_source": self.indices[index][doc_id],
        }

    def _index(self, method: str, name: str, params: dict[str, str]) -> Response:
        if method == "PUT":
            if name in self.indices:
                return error(
                    400, "resource_already_exists_exception", f"index [{name}] already exists"
                )
            self.indices[name] = {}
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}
        if method == "HEAD":
            return (200 if name in self.indices else 404), {}
        if method != "DELETE":
            raise unsupported(f"route {method} /{name}")
        ignore = params.get("ignore_unavailable") == "true"
        for chosen in resolve_indices(name, self.indices, ignore):
            del self.indices[chosen]
        return 200, {"acknowledged": True}

    def _search(self, expression: str, kind: str, params: dict[str, str], body: bytes) -> Response:
        request = json.loads(body) if body else {}
        ignore = params.get("ignore_unavailable") == "true"
        names = resolve_indices(expression, self.indices, ignore)
        query = request.get("query", {})
        found = [
            (name, doc_id, source)
            for name in names
            for doc_id, source in self.indices[name].items()
            if matches(query, doc_id, source)
        ]
        if kind == "_count":
            return 200, {"count": len(found), "_shards": SHARDS}
        sort = request.get("sort", params.get("sort"))
        score = None if sort else 1.0  # sorted hits are not scored
        start = int(request.get("from", params.get("from", 0)))
        size = int(request.get("size", params.get("size", 10)))
        page = (sort_hits(found, sort) if sort else found)[start : start + size]
        wanted = request.get("_source", True)
        hits = [
            {"_index": name, "_id": doc_id, "_score": score}
            | ({} if wanted is False else {"_source": filter_source(source, wanted)})
            for name, doc_id, source in page
        ]
        return 200, {
            "took": 1,
            "timed_out": False,
            "_shards": SHARDS,
            "hits": {
                "total": {"value": len(found), "relation": "eq"},
                "max_score": score if hits else None,
                "hits": hits,
            },
        }

    def _template(self, method: str, name: str, body: bytes) -> Response:
        if method == "PUT":
            self.templates[name] = json.loads(body)
            return 200, {"acknowledged": True}
        chosen = [t for t in sorted(self.templates) if fnmatch.fnmatchcase(t, name)]
        if not chosen and "*" not in name:
            if method == "DELETE":
                return error(
                    404, "index_template_missing_exception", f"index_template [{name}] missing"
                )
            return error(
                404, "resource_not_found_exception", f"index template matching [{name}] not found"
            )
        if method == "DELETE":
            for template in chosen:
                del self.templates[template]
            return 200, {"acknowledged": True}
        return 200, {
            "index_templates": [{"name": t, "index_template": self.templates[t]} for t in chosen]
        }

    def _policy(self, method: str, policy_id: str, params: dict[str, str], body: bytes) -> Response:
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
                "_index": ISM_INDEX,
                "_id": policy_id,
                "_version": current["_version"] + 1,
                "result": "deleted",
                "forced_refresh": True,
                "_shards": WRITE_SHARDS,
                "_seq_no": self._next_sequence(),
                "_primary_term": 1,
            }
        conflict = _policy_conflict(policy_id, current, params)
        if conflict is not None:
            return error(409, "version_conflict_engine_exception", conflict, index=ISM_INDEX)
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


def _policy_conflict(
    policy_id: str, current: dict[str, Any] | None, params: dict[str, str]
) -> str | None:
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
