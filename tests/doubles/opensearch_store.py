"""The in-memory side of the OpenSearch test double: indices, documents, templates, ISM.

Responses follow the shapes OpenSearch documents for the REST calls ids2 makes.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

Response = tuple[int, Any]


def _field(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _matches(document: dict[str, Any], doc_id: str, query: dict[str, Any]) -> bool:
    if not query or "match_all" in query:
        return True
    if "ids" in query:
        return doc_id in query["ids"]["values"]
    if "terms" in query:
        ((name, wanted),) = query["terms"].items()
        return _field(document, name.removesuffix(".keyword")) in wanted
    for kind in ("term", "match"):
        if kind in query:
            ((name, wanted),) = query[kind].items()
            wanted = (
                wanted.get("value", wanted.get("query")) if isinstance(wanted, dict) else wanted
            )
            return bool(_field(document, name.removesuffix(".keyword")) == wanted)
    if "bool" in query:
        return all(
            _matches(document, doc_id, clause)
            for clause in query["bool"].get("filter", []) + query["bool"].get("must", [])
        )
    raise ValueError(f"the test double does not support the query {query}")


def _not_found(kind: str, name: str) -> Response:
    reason = f"no such index [{name}]" if kind == "index_not_found_exception" else f"[{name}]"
    return 404, {"error": {"type": kind, "reason": reason}, "status": 404}


@dataclass
class DocumentStore:
    """Indices of documents by id, index templates and ISM policies, thread-safe."""

    indices: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    reject_document: Callable[[dict[str, Any]], str | None] = lambda document: None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _sequence: int = 0

    def documents(self, pattern: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(index, id, source) of every document in indices matching `pattern`."""
        names = [n for n in self.indices if any(fnmatch.fnmatch(n, p) for p in pattern.split(","))]
        return [(n, i, d) for n in sorted(names) for i, d in self.indices[n].items()]

    def handle(self, method: str, raw_path: str, body: bytes) -> Response:
        parts = urlsplit(raw_path)
        path = [segment for segment in parts.path.split("/") if segment]
        params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with self.lock:
            return self._route(method, path, params, body)

    def _route(self, method: str, path: list[str], params: dict[str, str], body: bytes) -> Response:
        if not path:
            return 200, {
                "name": "test-double",
                "cluster_name": "ids2-test-double",
                "version": {"distribution": "opensearch", "number": "2.11.0"},
            }
        if path == ["_cluster", "health"]:
            return 200, {
                "cluster_name": "ids2-test-double",
                "status": "green",
                "number_of_nodes": 1,
                "active_shards_percent_as_number": 100.0,
            }
        if path[-1] == "_bulk":
            return self._bulk(body, path[0] if len(path) == 2 else None)
        if path[0] == "_index_template":
            return self._template(method, path[1], body)
        if path[:3] == ["_plugins", "_ism", "policies"]:
            return self._policy(method, path[3], params, body)
        if path[-1] in ("_search", "_count"):
            return self._search(path[0] if len(path) == 2 else "*", path[-1], body)
        if path[-1] == "_refresh":
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if len(path) == 3 and path[1] == "_doc":
            return self._document(method, path[0], path[2], body)
        if len(path) == 1 and method == "DELETE":
            if path[0] not in self.indices and params.get("ignore_unavailable") != "true":
                return _not_found("index_not_found_exception", path[0])
            self.indices.pop(path[0], None)
            return 200, {"acknowledged": True}
        return 400, {
            "error": {
                "type": "illegal_argument_exception",
                "reason": f"test double: no route {method} /{'/'.join(path)}",
            }
        }

    def _bulk(self, body: bytes, default_index: str | None) -> Response:
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        items, errors, position = [], False, 0
        while position < len(lines):
            ((action, meta),) = lines[position].items()
            position += 1
            index, doc_id = meta.get("_index", default_index), meta.get("_id") or uuid.uuid4().hex
            documents = self.indices.setdefault(index, {})
            if action == "delete":
                status = 200 if documents.pop(doc_id, None) is not None else 404
                items.append({action: {"_index": index, "_id": doc_id, "status": status}})
                continue
            source = lines[position]
            position += 1
            item: dict[str, Any] = {"_index": index, "_id": doc_id}
            rejected = self.reject_document(source)
            if rejected is not None:
                item.update(
                    status=400, error={"type": "mapper_parsing_exception", "reason": rejected}
                )
            elif action == "create" and doc_id in documents:
                item.update(
                    status=409,
                    error={
                        "type": "version_conflict_engine_exception",
                        "reason": f"[{doc_id}]: version conflict, document already exists",
                    },
                )
            else:
                item.update(
                    status=200 if doc_id in documents else 201,
                    result="updated" if doc_id in documents else "created",
                )
                documents[doc_id] = source
            errors = errors or item["status"] >= 300
            items.append({action: item})
        return 200, {"took": 1, "errors": errors, "items": items}

    def _search(self, pattern: str, kind: str, body: bytes) -> Response:
        request = json.loads(body) if body else {}
        found = [
            (n, i, d)
            for n, i, d in self.documents(pattern)
            if _matches(d, i, request.get("query", {}))
        ]
        if kind == "_count":
            return 200, {"count": len(found), "_shards": {"total": 1, "successful": 1}}
        found.sort(
            key=lambda hit: str(hit[2].get("@timestamp", "")),
            reverse="desc" in json.dumps(request.get("sort", "")),
        )
        hits = [
            {"_index": n, "_id": i, "_score": 1.0, "_source": d}
            for n, i, d in found[: request.get("size", 10)]
        ]
        return 200, {
            "took": 1,
            "timed_out": False,
            "hits": {"total": {"value": len(found), "relation": "eq"}, "hits": hits},
        }

    def _document(self, method: str, index: str, doc_id: str, body: bytes) -> Response:
        documents = self.indices.setdefault(index, {})
        if method in ("PUT", "POST"):
            created = doc_id not in documents
            documents[doc_id] = json.loads(body)
            return (201 if created else 200), {
                "_index": index,
                "_id": doc_id,
                "result": "created" if created else "updated",
            }
        if doc_id not in documents:
            return 404, {"_index": index, "_id": doc_id, "found": False}
        if method == "DELETE":
            del documents[doc_id]
            return 200, {"_index": index, "_id": doc_id, "result": "deleted"}
        return 200, {"_index": index, "_id": doc_id, "found": True, "_source": documents[doc_id]}

    def _template(self, method: str, name: str, body: bytes) -> Response:
        if method == "PUT":
            self.templates[name] = json.loads(body)
            return 200, {"acknowledged": True}
        if name not in self.templates:
            return _not_found("resource_not_found_exception", f"index template matching {name}")
        if method == "DELETE":
            del self.templates[name]
            return 200, {"acknowledged": True}
        return 200, {"index_templates": [{"name": name, "index_template": self.templates[name]}]}

    def _policy(self, method: str, policy_id: str, params: dict[str, str], body: bytes) -> Response:
        current = self.policies.get(policy_id)
        if method == "GET":
            if current is None:
                return 404, {
                    "error": {"type": "status_exception", "reason": "Policy not found"},
                    "status": 404,
                }
            return 200, {"_id": policy_id, **current}
        if method == "DELETE":
            if current is None:
                return _not_found("status_exception", policy_id)
            del self.policies[policy_id]
            return 200, {"_id": policy_id, "result": "deleted"}
        guarded = "if_seq_no" in params
        if current is not None and (
            not guarded
            or int(params["if_seq_no"]) != current["_seq_no"]
            or int(params.get("if_primary_term", -1)) != current["_primary_term"]
        ):
            return 409, {
                "error": {
                    "type": "version_conflict_engine_exception",
                    "reason": f"[{policy_id}]: version conflict",
                },
                "status": 409,
            }
        self._sequence += 1
        stored = {
            "_version": (current or {}).get("_version", 0) + 1,
            "_seq_no": self._sequence,
            "_primary_term": 1,
            "policy": json.loads(body)["policy"],
        }
        self.policies[policy_id] = stored
        return (200 if current else 201), {"_id": policy_id, **stored}
