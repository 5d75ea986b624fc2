"""Bulk-index ECS documents that Vector left elsewhere (the spool, Redis) into OpenSearch.

Each document goes to PREFIX-YYYY.MM.DD of its own @timestamp in UTC, the index Vector
would have chosen, with its ids2.doc_id as _id, so indexing it again replaces it rather
than adding a copy. The line is sent as it is, never re-serialised. Items refused for now
(429, 5xx) and whole requests that fail the same way are retried with backoff; items
refused for good (4xx, such as a mapping conflict) are counted and reported, never retried.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ids2.errors import Ids2Error

MAX_REASONS = 5


class BulkIndexError(Ids2Error):
    """OpenSearch kept refusing documents for longer than the retries allow."""


@dataclass
class BulkResult:
    """Documents indexed, refused for good (with the first reasons) and not ECS at all."""

    indexed: int = 0
    rejected: int = 0
    invalid: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, other: BulkResult) -> None:
        """Fold another result into this one."""
        self.indexed += other.indexed
        self.rejected += other.rejected
        self.invalid += other.invalid
        self.reasons = (self.reasons + other.reasons)[:MAX_REASONS]


def document_id(document: dict[str, Any], line: bytes) -> str:
    """ecs.vrl's id (SHA-256 of the EVE line), recomputed from event.original if missing."""
    ids2 = document.get("ids2")
    if isinstance(ids2, dict) and isinstance(ids2.get("doc_id"), str):
        return str(ids2["doc_id"])
    event = document.get("event")
    original = event.get("original") if isinstance(event, dict) else None
    text = original.encode() if isinstance(original, str) else line
    return hashlib.sha256(text).hexdigest()


def index_name(prefix: str, timestamp: Any) -> str | None:
    """PREFIX-YYYY.MM.DD for an RFC 3339 @timestamp, in UTC; None when it is not one."""
    if not isinstance(timestamp, str):
        return None
    try:
        instant = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    return f"{prefix}-{instant.astimezone(UTC):%Y.%m.%d}"


def _retryable(status: Any) -> bool:
    return isinstance(status, int) and (status == 429 or status >= 500)


def _is_retryable(error: Exception) -> bool:
    from opensearchpy.exceptions import ConnectionError as TransportConnectionError

    return isinstance(error, TransportConnectionError) or _retryable(
        getattr(error, "status_code", None)
    )


class BulkIndexer:
    """Sends batches of ECS lines with bounded, growing retries (1 s doubling up to 30 s)."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.attempts = attempts
        self.sleep = sleep

    def _entries(self, lines: list[bytes], result: BulkResult) -> list[bytes]:
        entries = []
        for line in lines:
            try:
                document = json.loads(line)
            except ValueError:
                document = None
            index = (
                index_name(self.prefix, document.get("@timestamp"))
                if isinstance(document, dict)
                else None
            )
            if index is None:
                result.invalid += 1
                continue
            action = {"index": {"_index": index, "_id": document_id(document, line)}}
            entries.append(json.dumps(action).encode() + b"\n" + line.rstrip(b"\n") + b"\n")
        return entries

    def index_lines(self, lines: list[bytes]) -> BulkResult:
        """Index one batch of NDJSON lines; raises BulkIndexError when retries run out.

        Other refusals of the whole request (401, 403, 400) are raised as opensearch-py
        raised them, for the caller to explain.
        """
        result = BulkResult()
        pending = self._entries(lines, result)
        delay, last_problem = 1.0, ""
        for attempt in range(self.attempts):
            if not pending:
                return result
            if attempt:
                self.sleep(delay)
                delay = min(delay * 2, 30.0)
            try:
                response = self.client.bulk(body=b"".join(pending))
            except Exception as error:
                if not _is_retryable(error):
                    raise
                last_problem = f"{type(error).__name__}: {error}"
                continue
            pending, last_problem = self._sort_items(pending, response["items"], result)
        if pending:
            raise BulkIndexError(
                f"{len(pending)} documents still refused after {self.attempts} attempts "
                f"({last_problem}); run again later: what was indexed stays indexed"
            )
        return result

    def _sort_items(
        self, entries: list[bytes], items: list[dict[str, Any]], result: BulkResult
    ) -> tuple[list[bytes], str]:
        retry, problem = [], ""
        for entry, item in zip(entries, items, strict=True):
            outcome = next(iter(item.values()))
            status = int(outcome.get("status", 500))
            if status < 300:
                result.indexed += 1
            elif _retryable(status):
                retry.append(entry)
                problem = f"{status} {outcome.get('error')}"
            else:
                result.rejected += 1
                if len(result.reasons) < MAX_REASONS:
                    result.reasons.append(f"{outcome.get('_id')}: {status} {outcome.get('error')}")
        return retry, problem
