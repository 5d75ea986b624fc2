"""Faults made by the real engine, not a double: a write queue too small for concurrent
bulks (429), a document the template refuses, and the node stopping mid-backfill."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ids2.shipping.bulk import BulkIndexer, BulkIndexError
from ids2.shipping.opensearch.client import make_client
from ids2.shipping.opensearch.setup import index_template, template_name
from ids2.shipping.spool import backfill
from tests.integration.shipping.ecs_documents import day_of_documents
from tests.opensearch.node import OpenSearchNode, running_node
from tests.opensearch.target import NodeTarget

pytestmark = [pytest.mark.integration, pytest.mark.opensearch]
PREFIX = "ids2-logs"
# One write thread with a queue of one: a second concurrent shard write is refused (429).
SMALL_WRITE_QUEUE = {"thread_pool.write.size": 1, "thread_pool.write.queue_size": 1}


@pytest.fixture(scope="module")
def small_node() -> Iterator[OpenSearchNode]:
    """A node of its own: these tests stop it, and its write queue refuses concurrency."""
    with running_node(SMALL_WRITE_QUEUE) as node:
        yield node


@pytest.fixture
def small(small_node: OpenSearchNode) -> Iterator[NodeTarget]:
    target = NodeTarget(small_node.url)
    target.client().transport.perform_request(
        "PUT", f"/_index_template/{template_name(PREFIX)}", body=index_template(PREFIX)
    )
    yield target
    target.clear()


def quick_sleep(seconds: float) -> None:
    """The indexer's backoff, ten times faster, so retries show within a test's time."""
    time.sleep(seconds / 10)


def rejected_writes(target: NodeTarget) -> int:
    stats = target.client().nodes.stats(metric="thread_pool")["nodes"]
    return sum(node["thread_pool"]["write"]["rejected"] for node in stats.values())


def test_429_from_a_full_write_queue_is_retried_and_nothing_is_lost(small: NodeTarget) -> None:
    days = ["2026.11.21", "2026.11.22", "2026.11.23", "2026.11.24"]
    lines = [line for day in days for line in day_of_documents(day, 1500)]
    batches = [lines[start : start + 300] for start in range(0, len(lines), 300)]
    indexed, errors = [], []
    client = make_client(small.config(), timeout=60)

    def send(share: list[list[bytes]]) -> None:
        indexer = BulkIndexer(client, PREFIX, sleep=quick_sleep)
        try:
            for batch in share:
                indexed.append(indexer.index_lines(batch).indexed)
        except BulkIndexError as error:
            errors.append(error)

    before = rejected_writes(small)
    threads = [threading.Thread(target=send, args=(batches[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = rejected_writes(small) - before
    print(f"{len(lines)} documents in 4 concurrent streams: {refused} writes refused with 429")
    assert errors == []
    assert refused > 0, "the node refused writes, so the retries were exercised"
    assert sum(indexed) == len(lines)
    assert sum(small.counts().values()) == len(lines), "every refused document landed later"


def test_a_document_the_template_refuses_is_counted_and_the_rest_lands(
    tmp_path: Path, small: NodeTarget
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    good = day_of_documents("2026.11.24", 20)
    bad = json.loads(good[0])
    bad["source"] = "an address where the template has an object"
    bad["ids2"]["doc_id"] = "refused-by-the-mapping"
    day_file = spool / f"{PREFIX}-2026.11.24.ndjson"
    day_file.write_bytes(b"\n".join([*good[:10], json.dumps(bad).encode(), *good[10:]]) + b"\n")
    indexer = BulkIndexer(make_client(small.config(), timeout=60), PREFIX)
    report = backfill(indexer, spool, 100, remove=True)
    assert (report.result.indexed, report.result.rejected) == (20, 1)
    assert report.result.reasons[0].startswith("refused-by-the-mapping: 400")
    assert "parsing_exception" in report.result.reasons[0]
    assert small.counts() == {f"{PREFIX}-2026.11.24": 20}
    assert day_file.exists(), "a file with a refused document is kept for a look"


class StopsTheNode:
    """A client whose node stops after `after` bulk requests, as a crash mid-backfill."""

    def __init__(self, client: Any, node: OpenSearchNode, after: int) -> None:
        self.client, self.node, self.after = client, node, after

    def bulk(self, **request: Any) -> Any:
        if self.after == 0:
            self.node.stop()
        self.after -= 1
        return self.client.bulk(**request)


def test_a_node_down_mid_backfill_resumes_without_duplicates(
    tmp_path: Path, small_node: OpenSearchNode, small: NodeTarget
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    lines = day_of_documents("2026.11.24", 2500)
    (spool / f"{PREFIX}-2026.11.24.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    client = make_client(small.config(), timeout=10)
    crashing = BulkIndexer(
        StopsTheNode(client, small_node, 2), PREFIX, attempts=2, sleep=quick_sleep
    )
    with pytest.raises(BulkIndexError, match="still refused"):
        backfill(crashing, spool, 500)
    small_node.start()
    assert sum(small.counts().values()) == 1000, "two batches landed before the node stopped"
    report = backfill(BulkIndexer(client, PREFIX), spool, 500)
    assert report.result.indexed == 1500, "the run resumed after what had landed"
    assert sum(small.counts().values()) == len(lines)
