"""A double of Vector's path for `ids2 import-pcap`'s files; it is not Vector.

Vector is not on this machine, so this does what the rendered vector.toml tells Vector to
do with them, reading its shape from `vector_config` rather than repeating it: take each
file the `imports` source's glob names on the RAM disk, map every line with the real
ecs.vrl (the upstream VRL compiler, vrl-python), apply the spool's lean remap (also real
VRL) when the config has it, and either append to the `events` file sink's day file of
each document's @timestamp, encoded as Vector's JSON encoder does, or bulk-index into
OpenSearch with `_id` from the sink's `id_key` into the daily index of @timestamp (the
same bulk request the spool backfill sends). Then it deletes the file, as
`remove_after_secs` does. No buffering, checkpoints, acknowledgements or retries.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import vrl_python

from ids2.config.load import Config
from ids2.shipping.bulk import BulkIndexer
from ids2.shipping.vector import CONTAINER_RAMDISK, CONTAINER_SPOOL, vector_config
from tests.integration.shipping.ecs_documents import as_vector_json
from tests.integration.shipping.ecs_vrl import transform


class VectorImportsDouble:
    """Polls the imports glob every 0.1 s in a thread, between `with` and its end."""

    def __init__(self, config: Config) -> None:
        document = vector_config(config)
        assert "imports" in document["transforms"]["ecs"]["inputs"]
        include = document["sources"]["imports"]["include"][0]
        ramdisk = config["ramdisk"]["mount_point"]
        self.glob = include.removeprefix(f"{CONTAINER_RAMDISK}/")
        self.ramdisk = Path(ramdisk)
        lean = document["transforms"].get("spool_lean")
        self.lean = lean["source"] if lean else None
        # A runtime of its own: vrl-python keeps only the last program compiled, and
        # ecs.vrl takes seconds to compile.
        self.lean_runtime = vrl_python.VRLRuntime(timezone="UTC")
        self.sink = document["sinks"]["events"]
        self.spool = Path(config["shipping"]["spool"]["directory"])
        self.prefix = config["shipping"]["opensearch"]["index_prefix"]
        self.mapped = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.failure: BaseException | None = None

    def __enter__(self) -> VectorImportsDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        if self.failure is not None:
            raise self.failure

    def _run(self) -> None:
        try:
            while not self.stop.wait(0.1):
                for path in sorted(self.ramdisk.glob(self.glob)):
                    self._ship([self._document(line) for line in path.read_text().splitlines()])
                    path.unlink()
        except BaseException as error:  # reported by __exit__, in the test's thread
            self.failure = error

    def _document(self, line: str) -> dict[str, Any]:
        document = transform(line)
        assert "dead_letter_reason" not in document["ids2"], document
        if self.lean is not None:
            document = self.lean_runtime.execute(self.lean, document).processed_event
        self.mapped += 1
        result: dict[str, Any] = as_vector_json(document)
        return result

    def _ship(self, documents: list[dict[str, Any]]) -> None:
        if self.sink["type"] == "file":
            template = self.sink["path"].replace(CONTAINER_SPOOL, str(self.spool))
            for document in documents:
                stamp = datetime.fromisoformat(document["@timestamp"])
                with Path(stamp.strftime(template)).open("a") as handle:
                    handle.write(json.dumps(document, separators=(",", ":")) + "\n")
            return
        from opensearchpy import OpenSearch

        assert self.sink["id_key"] == "ids2.doc_id"
        assert self.sink["bulk"]["index"] == f"{self.prefix}-%Y.%m.%d"
        client = OpenSearch(self.sink["endpoints"][0], timeout=60)
        lines = [json.dumps(document).encode() for document in documents]
        result = BulkIndexer(client, self.prefix).index_lines(lines)
        assert result.indexed == len(lines), result
