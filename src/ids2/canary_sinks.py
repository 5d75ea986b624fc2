"""Where the verify controller looks for its canaries: OpenSearch, or the local spool."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

from ids2.probes.aside import Aside


class CanarySink(Protocol):
    """Answers which of the given canary ids have arrived."""

    name: str

    def arrived(self, canary_ids: set[str]) -> set[str]: ...


class OpenSearchSink:
    """Searches the daily indices for canary documents by id, within a time budget."""

    name = "opensearch"

    def __init__(self, client: Any, index_prefix: str, budget: float) -> None:
        self.client = client
        self.pattern = f"{index_prefix}-*"
        self.budget = budget
        self._aside = Aside("canary-search")

    def arrived(self, canary_ids: set[str]) -> set[str]:
        """Raises ProbeError when the search outlasts the budget (a blackholed endpoint)."""
        response = self._aside.call(
            lambda: self.client.search(
                index=self.pattern,
                body={
                    "query": {"terms": {"ids2.canary_id": sorted(canary_ids)}},
                    "size": len(canary_ids),
                    "_source": ["ids2.canary_id"],
                },
                params={"ignore_unavailable": "true", "allow_no_indices": "true"},
            ),
            self.budget,
            f"canary search in {self.pattern}",
        )
        hits = response.get("hits", {}).get("hits", [])
        return {hit["_source"]["ids2"]["canary_id"] for hit in hits} & canary_ids


class SpoolSink:
    """Reads only the new bytes of today's and yesterday's spool files."""

    name = "spool"

    def __init__(self, directory: Path, index_prefix: str) -> None:
        self.directory = directory
        self.index_prefix = index_prefix
        self.offsets: dict[Path, int] = {}
        self.seen: set[str] = set()

    def _files(self) -> list[Path]:
        now = time.time()
        days = {time.strftime("%Y.%m.%d", time.gmtime(now - lag)) for lag in (0, 86400)}
        return [self.directory / f"{self.index_prefix}-{day}.ndjson" for day in sorted(days)]

    def arrived(self, canary_ids: set[str]) -> set[str]:
        for path in self._files():
            try:
                with path.open("rb") as handle:
                    start = self.offsets.get(path, 0)
                    if start > path.stat().st_size:  # pruned and recreated
                        start = 0
                    handle.seek(start)
                    data = handle.read()
            except OSError:
                continue
            complete = data[: data.rfind(b"\n") + 1]
            self.offsets[path] = start + len(complete)
            self.seen.update(c for c in canary_ids if c.encode() in complete)
        found = self.seen & canary_ids
        self.seen -= found
        return found
