"""The `_bulk` endpoint of the OpenSearch test double: NDJSON in, per-item results out.

As in OpenSearch, the whole body is parsed before anything is written, so a malformed
action line refuses the request (400) with nothing indexed; after that each item succeeds or
fails on its own and `errors` says whether any failed. A queued item fault (429 by default)
or `reject_document` refuses an item without writing it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.doubles.opensearch_faults import refusal_cause
from tests.doubles.opensearch_responses import RequestRefused, Response, error_cause, unsupported

if TYPE_CHECKING:
    from tests.doubles.opensearch_store import DocumentStore

_ACTIONS = ("index", "create", "delete")


@dataclass
class _Operation:
    action: str
    index: str
    doc_id: str
    source_line: bytes | None


def _invalid(kind: str, reason: str) -> RequestRefused:
    return RequestRefused(400, kind, reason)


def _action(line: bytes, number: int) -> tuple[str, dict[str, Any]]:
    try:
        ((action, meta),) = json.loads(line).items()
    except (ValueError, AttributeError):
        raise _invalid(
            "illegal_argument_exception", f"Malformed action/metadata line [{number}]"
        ) from None
    if action not in _ACTIONS:
        raise unsupported(f"take the bulk action [{action}] (it takes {', '.join(_ACTIONS)})")
    return action, meta


def _parse(body: bytes, default_index: str | None) -> list[_Operation]:
    if not body.strip():
        raise _invalid("parse_exception", "request body is required")
    if not body.endswith(b"\n"):
        raise _invalid(
            "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]"
        )
    lines = iter([line for line in body.split(b"\n") if line.strip()])
    operations: list[_Operation] = []
    for number, line in enumerate(lines, 1):
        action, meta = _action(line, number)
        index = meta.get("_index", default_index)
        source_line = None if action == "delete" else next(lines, None)
        if index is None or (source_line is None and action != "delete"):
            missing = "index" if index is None else "source"
            raise _invalid(
                "action_request_validation_exception",
                f"Validation Failed: 1: {missing} is missing;",
            )
        doc_id = meta.get("_id") or uuid.uuid4().hex
        operations.append(_Operation(action, index, doc_id, source_line))
    return operations


def _refused(operation: _Operation, status: int, cause: dict[str, Any]) -> dict[str, Any]:
    return {
        "_index": operation.index,
        "_id": operation.doc_id,
        "status": status,
        "error": {**cause, "index": operation.index, "shard": "0"},
    }


def _execute(store: DocumentStore, operation: _Operation) -> dict[str, Any]:
    index, doc_id = operation.index, operation.doc_id
    if store.item_faults:
        status = store.item_faults.pop(0)
        return _refused(operation, status, refusal_cause(status))
    if operation.source_line is None:
        status, result = store.delete_document(index, doc_id)
        return {**result, "status": status}
    try:
        source = json.loads(operation.source_line)
    except ValueError:
        source = None
    reason = "failed to parse" if not isinstance(source, dict) else store.reject_document(source)
    if reason is not None:
        return _refused(operation, 400, error_cause("mapper_parsing_exception", reason))
    if operation.action == "create" and doc_id in store.indices.get(index, {}):
        reason = (
            f"[{doc_id}]: version conflict, document already exists "
            f"(current version [{store.versions.get((index, doc_id), 1)}])"
        )
        return _refused(operation, 409, error_cause("version_conflict_engine_exception", reason))
    status, result = store.write_document(index, doc_id, source)
    return {**result, "status": status}


def bulk(store: DocumentStore, body: bytes, default_index: str | None) -> Response:
    """The documented bulk response: `took`, `errors` and one result per action, in order."""
    started = time.monotonic()
    items = [{op.action: _execute(store, op)} for op in _parse(body, default_index)]
    return 200, {
        "took": int((time.monotonic() - started) * 1000),
        "errors": any("error" in result for item in items for result in item.values()),
        "items": items,
    }
