"""Where the verify controller looks for its canaries: OpenSearch, or the local spool."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ids2 import TYPE_CHECKING
from ids2.common.aside import Aside

if TYPE_CHECKING:
    from typing import Protocol

    from ids2.shipping.opensearch.http import OpenSearchHTTP

    class CanarySink(Protocol):
        """Answers which of the given canary ids have arrived."""

        name: str

        def arrived(self, canary_ids: set[str]) -> set[str]: ...


CHUNK_BYTES = 1 << 20


class OpenSearchSink:
    """Searches the daily indices for canary documents by id, within a time budget."""

    name = "opensearch"

    def __init__(self, client: OpenSearchHTTP, index_prefix: str, budget: float) -> None:
        self.client = client
        self.pattern = f"{index_prefix}-*"
        self.budget = budget
        self._aside = Aside("canary-search")

    def arrived(self, canary_ids: set[str]) -> set[str]:
        """Raises ProbeError when the search outlasts the budget (a blackholed endpoint)."""
        response = self._aside.call(
            lambda: self.client.request(
                "POST",
                f"/{self.pattern}/_search",
                {
                    "query": {"terms": {"ids2.canary_id": sorted(canary_ids)}},
                    "size": len(canary_ids),
                    "_source": ["ids2.canary_id"],
                },
                {"ignore_unavailable": "true", "allow_no_indices": "true"},
            ),
            self.budget,
            f"canary search in {self.pattern}",
        )
        hits = response.get("hits", {}).get("hits", [])
        return {hit["_source"]["ids2"]["canary_id"] for hit in hits} & canary_ids


class SpoolSink:
    """Reads only what was appended to today's and yesterday's spool files since the last look.

    Spool files grow to gigabytes: what they hold when the sink starts cannot contain a
    canary sent later, so it is skipped, and new bytes are read a chunk at a time, so a
    look never holds more than CHUNK_BYTES however far Vector got ahead.
    """

    name = "spool"

    def __init__(self, directory: Path, index_prefix: str) -> None:
        self.directory = directory
        self.index_prefix = index_prefix
        self.offsets: dict[Path, int] = {path: _size(path) for path in self._files()}
        self.seen: set[str] = set()

    def _files(self) -> list[Path]:
        now = time.time()
        days = {time.strftime("%Y.%m.%d", time.gmtime(now - lag)) for lag in (0, 86400)}
        return [self.directory / f"{self.index_prefix}-{day}.ndjson" for day in sorted(days)]

    def arrived(self, canary_ids: set[str]) -> set[str]:
        wanted = {canary_id: canary_id.encode() for canary_id in canary_ids}
        for path in self._files():
            self._scan(path, wanted)
        found = self.seen & canary_ids
        self.seen -= found
        return found

    def _scan(self, path: Path, wanted: dict[str, bytes]) -> None:
        """Note the wanted ids in the complete lines appended to `path` since the last look."""
        try:
            handle = path.open("rb")
        except OSError:
            return
        with handle:
            offset = self.offsets.get(path, 0)
            if offset > os.fstat(handle.fileno()).st_size:  # pruned and started again
                offset = 0
            handle.seek(offset)
            while chunk := handle.read(CHUNK_BYTES):
                complete = chunk[: chunk.rfind(b"\n") + 1]
                if not complete and len(chunk) < CHUNK_BYTES:
                    break  # a line still being written: read whole at the next look
                complete = complete or chunk  # a line longer than a chunk is no canary
                self.seen.update(i for i, encoded in wanted.items() if encoded in complete)
                offset += len(complete)
                handle.seek(offset)
            self.offsets[path] = offset


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
