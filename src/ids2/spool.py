"""The local spool: daily ECS NDJSON files Vector writes when no OpenSearch is configured.

Vector's file sink cannot cap its output, so `prune` removes the oldest day files above
shipping.spool.max_mb; `backfill` bulk-indexes spooled documents into OpenSearch once an
endpoint is configured, with each document's own id so a repeated backfill never
duplicates.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ids2.errors import Ids2Error

log = logging.getLogger(__name__)
BACKFILL_BATCH = 500


def day_files(directory: Path, prefix: str) -> list[Path]:
    """The spool's day files, oldest first (their names sort by date)."""
    return sorted(directory.glob(f"{prefix}-????.??.??.ndjson"))


def prune(directory: Path, prefix: str, max_bytes: int) -> list[Path]:
    """Remove the oldest day files until the spool fits in `max_bytes`; today's stays."""
    files = day_files(directory, prefix)
    total = sum(path.stat().st_size for path in files)
    removed = []
    for path in files[:-1]:
        if total <= max_bytes:
            break
        total -= path.stat().st_size
        path.unlink()
        removed.append(path)
        log.warning("spool over %d bytes: removed %s", max_bytes, path.name)
    return removed


def _documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                document = json.loads(line)
                if isinstance(document, dict):
                    yield document


def backfill(client: Any, directory: Path, prefix: str) -> int:
    """Index every spooled document into its day's index; the number indexed."""
    indexed = 0
    for path in day_files(directory, prefix):
        index = path.name.removesuffix(".ndjson")
        batch: list[dict[str, Any]] = []
        for document in _documents(path):
            doc_id = (document.get("ids2") or {}).get("doc_id")
            action: dict[str, Any] = {"_index": index}
            if doc_id:
                action["_id"] = doc_id
            batch += [{"index": action}, document]
            if len(batch) >= 2 * BACKFILL_BATCH:
                indexed += _send(client, batch)
                batch = []
        if batch:
            indexed += _send(client, batch)
    return indexed


def _send(client: Any, batch: list[dict[str, Any]]) -> int:
    response = client.bulk(body=batch)
    if response.get("errors"):
        failed = [item["index"] for item in response["items"] if item["index"]["status"] >= 300]
        raise Ids2Error(
            f"backfill: {len(failed)} of {len(batch) // 2} documents refused, "
            f"first: {failed[0].get('error')}"
        )
    return len(batch) // 2
