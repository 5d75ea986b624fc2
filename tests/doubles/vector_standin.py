"""A stand-in for Vector in tests of the verify controller; it is not Vector.

It tails the RAM disk as Vector's sources do (Suricata's eve-*.json and the canary directory) and
forwards each line either to an NDJSON spool file named like Vector's file sink writes
them, or to an OpenSearch bulk endpoint. It maps nothing but what verify needs
(`@timestamp`, `ids2.canary_id`): no VRL, no buffering, no checkpoints, no retries (a bulk
refused is dropped, as a lost event). The real Vector
configuration is tested by its own suite.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path


class VectorStandIn:
    """Polls the RAM-disk directory every 0.2 s and forwards new lines."""

    def __init__(
        self,
        ramdisk: Path,
        index_prefix: str,
        spool: Path | None = None,
        opensearch_url: str | None = None,
        started: Callable[[], bool] = lambda: True,
    ) -> None:
        """`started()` says whether the real Vector would run yet; until then nothing is read."""
        self.ramdisk, self.index_prefix = ramdisk, index_prefix
        self.spool, self.opensearch_url = spool, opensearch_url
        self.started = started
        self.offsets: dict[Path, int] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> VectorStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop_event.wait(0.2):
            if not self.started():
                continue
            # Vector's two file sources: Suricata's EVE files and the canary directory.
            paths = [*self.ramdisk.glob("eve-*.json"), *self.ramdisk.glob("canary/*.json")]
            for path in sorted(paths):
                start = self.offsets.get(path, 0)
                data = path.read_bytes()[start:]
                complete = data[: data.rfind(b"\n") + 1]
                self.offsets[path] = start + len(complete)
                documents = [self._document(line) for line in complete.splitlines() if line]
                if documents:
                    self._forward(documents)

    def _document(self, line: bytes) -> dict[str, object]:
        event = json.loads(line)
        return {
            "@timestamp": event.get("timestamp"),
            "ids2": event.get("ids2", {}),
            "event": {"dataset": f"suricata.{event.get('event_type')}"},
        }

    def _forward(self, documents: list[dict[str, object]]) -> None:
        day = time.strftime("%Y.%m.%d", time.gmtime())
        index = f"{self.index_prefix}-{day}"
        if self.spool is not None:
            with (self.spool / f"{index}.ndjson").open("a") as handle:
                handle.writelines(json.dumps(d) + "\n" for d in documents)
            return
        body = "".join(
            json.dumps({"index": {"_index": index}}) + "\n" + json.dumps(d) + "\n"
            for d in documents
        ).encode()
        request = urllib.request.Request(
            f"{self.opensearch_url}/_bulk",
            data=body,
            headers={"Content-Type": "application/x-ndjson"},
        )
        # Refused: those events are lost, which is what such a test wants to see.
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=5).close()
