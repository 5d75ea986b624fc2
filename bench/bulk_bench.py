"""Spool backfill into a real OpenSearch node: ids2's bulk path against opensearch-py's
`helpers.bulk`, in the same run, on the same day file.

A day file of IDS2_BENCH_DOCUMENTS (default 200,000) ECS documents (the corpus EVE events
through ecs.vrl, each copy with its own time and id) is backfilled into a node of the pinned
version (tests/opensearch/, 512 MiB heap) with ids2's template, by `spool.backfill`
with `BulkIndexer` (lines sent as written, never re-serialised) and by `helpers.bulk`
(parsed, given the same index and _id, serialised again), each in a child process of its
own so its peak RSS is its own, with the same batch size and the indices deleted between;
in the order ids2, helpers, helpers, ids2 (IDS2_BENCH_ROUNDS=1: the first two only). Prints
documents per second for both (each side's best run), the ratio (goal >= 1.0), the
documents each left refused (goal 0) and each one's peak RSS. No timed assertion: the
figures are for reading.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.opensearch.node import running_node  # noqa: E402
from tests.opensearch.target import NodeTarget  # noqa: E402

from ids2.shipping.opensearch.setup import index_template, template_name  # noqa: E402
from ids2.shipping.spool import PROGRESS_FILE  # noqa: E402

DOCUMENTS = int(os.environ.get("IDS2_BENCH_DOCUMENTS", "200000"))
PREFIX = "ids2-logs"
DAY = f"{datetime.date.today():%Y.%m.%d}"
ROUNDS = 2 if os.environ.get("IDS2_BENCH_ROUNDS", "2") == "2" else 1
LABELS = {"ours": "ids2 BulkIndexer", "helpers": "opensearch-py helpers.bulk"}


def write_day_file(spool: Path) -> Path:
    from tests.integration.shipping.ecs_documents import iter_day_of_documents

    path = spool / f"{PREFIX}-{DAY}.ndjson"
    with path.open("wb") as handle:
        for line in iter_day_of_documents(DAY, DOCUMENTS):
            handle.write(line + b"\n")
    return path


def run_ours(url: str, spool: Path) -> dict[str, Any]:
    """ids2's backfill, as `ids2 spool backfill` runs it (without the template install)."""
    from ids2.config.load import validate_document
    from ids2.config.machine import Machine
    from ids2.shipping.bulk import BulkIndexer
    from ids2.shipping.opensearch.client import make_client
    from ids2.shipping.spool import backfill

    config = validate_document(
        {"shipping": {"opensearch": {"endpoint": url}}}, "bench", Machine(4, 8192, frozenset())
    )
    batch = config["shipping"]["batch_max_events"]
    client = make_client(config, timeout=120)
    started = time.perf_counter()
    report = backfill(BulkIndexer(client, PREFIX), spool, batch)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "indexed": report.result.indexed, "refused": report.result.rejected}


def run_helpers(url: str, spool: Path) -> dict[str, Any]:
    """opensearch-py's helpers.bulk over the same lines, to the same index and _id."""
    from opensearchpy import OpenSearch, helpers

    from ids2.config.load import validate_document
    from ids2.config.machine import Machine
    from ids2.shipping.bulk import index_name

    config = validate_document({}, "bench", Machine(4, 8192, frozenset()))
    batch = config["shipping"]["batch_max_events"]

    def actions() -> Any:
        for path in sorted(spool.glob(f"{PREFIX}-*.ndjson")):
            with path.open("rb") as handle:
                for line in handle:
                    document = json.loads(line)
                    yield {
                        "_index": index_name(PREFIX, document["@timestamp"]),
                        "_id": document["ids2"]["doc_id"],
                        "_source": document,
                    }

    client = OpenSearch(url, timeout=120)
    started = time.perf_counter()
    indexed, errors = helpers.bulk(
        client, actions(), chunk_size=batch, max_chunk_bytes=1 << 30, raise_on_error=False
    )
    seconds = time.perf_counter() - started
    refused = errors if isinstance(errors, int) else len(errors)
    return {"seconds": seconds, "indexed": indexed, "refused": refused}


def child(which: str, url: str, spool: Path) -> dict[str, Any]:
    """Run one side in a fresh interpreter; its figures and its own peak RSS."""
    output = subprocess.run(
        [sys.executable, __file__, which, url, str(spool)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, Any] = json.loads(output.splitlines()[-1])
    return figures


def fresh(node: NodeTarget) -> None:
    """No document of the day left, the template in place, as a first backfill finds it."""
    client = node.client()
    client.indices.delete(index=f"{PREFIX}-*", ignore_unavailable=True)
    client.transport.perform_request(
        "PUT", f"/_index_template/{template_name(PREFIX)}", body=index_template(PREFIX)
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ids2-bulk-bench-") as directory:
        spool = Path(directory)
        started = time.perf_counter()
        path = write_day_file(spool)
        megabytes = path.stat().st_size / 2**20
        print(
            f"day file: {DOCUMENTS} ECS documents, {megabytes:.0f} MiB "
            f"(built in {time.perf_counter() - started:.0f} s)"
        )
        with running_node() as started_node:
            node = NodeTarget(started_node.url)
            runs: dict[str, list[dict[str, Any]]] = {"ours": [], "helpers": []}
            # ABBA: neither side always gets the node cold (JIT, first index creation).
            for which in ("ours", "helpers", "helpers", "ours")[: 2 * ROUNDS]:
                fresh(node)
                figures = child(which, node.url, spool)
                figures["stored"] = sum(node.counts(f"{PREFIX}-*").values())
                runs[which].append(figures)
                (spool / PROGRESS_FILE).unlink(missing_ok=True)
        rates = {}
        for which, label in LABELS.items():
            best = min(runs[which], key=lambda figures: figures["seconds"])
            rates[which] = best["indexed"] / best["seconds"]
            print(
                f"{label:28} {rates[which]:8.0f} docs/s (best of {len(runs[which])}: "
                f"{best['seconds']:.1f} s), {best['refused']} refused, {best['stored']} stored, "
                f"peak RSS {max(figures['peak_rss_mb'] for figures in runs[which]):.0f} MB"
            )
        print(f"ratio ids2 / helpers.bulk: {rates['ours'] / rates['helpers']:.2f} (goal >= 1.0)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4:
        run = {"ours": run_ours, "helpers": run_helpers}[sys.argv[1]]
        figures = run(sys.argv[2], Path(sys.argv[3]))
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        sys.exit(0)
    sys.exit(main())
