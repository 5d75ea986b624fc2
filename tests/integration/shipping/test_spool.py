"""The spool through `ids2 spool`: pruned under its cap, backfilled into the real node once,
resumed where it stopped, retried when OpenSearch pushes back (the front before the node
refuses on demand), paused on request, signed with SigV4 (checked by the front).

Day files hold corpus documents mapped by ecs.vrl, each copy with its own time and id.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.cli import main
from ids2.shipping.bulk import BulkIndexer
from ids2.shipping.opensearch.client import make_client
from ids2.shipping.spool import BUSY_SECONDS, PAUSE_POLL_SECONDS, PROGRESS_FILE, backfill
from tests.integration.shipping.conftest import SignedFront, shipping_config
from tests.integration.shipping.ecs_documents import ecs_documents
from tests.opensearch.front import NodeFront, RecordedRequest
from tests.opensearch.target import NodeTarget

pytestmark = pytest.mark.integration
LONG_AGO = time.time() - 10 * BUSY_SECONDS


def document(day: str, number: int, pad: int = 0) -> bytes:
    corpus = ecs_documents()
    body = dict(corpus[number % len(corpus)], pad="x" * pad)
    body["@timestamp"] = f"{day.replace('.', '-')}T12:00:00.{number:06d}Z"
    body["ids2"] = {**body["ids2"], "doc_id": f"{day}-{number}"}
    return json.dumps(body).encode() + b"\n"


def spool_day(spool: Path, day: str, count: int, pad: int = 0, first: int = 0) -> Path:
    path = spool / f"ids2-logs-{day}.ndjson"
    with path.open("ab") as handle:
        handle.writelines(document(day, n, pad) for n in range(first, first + count))
    os.utime(path, (LONG_AGO, LONG_AGO))
    return path


def config_file(tmp_path: Path, **shipping: Any) -> str:
    path = tmp_path / "config.yaml"
    spool = {"directory": str(tmp_path / "spool"), "max_mb": 16}
    path.write_text(yaml.safe_dump({"shipping": {"spool": spool, **shipping}}))
    return str(path)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    directory = tmp_path / "spool"
    directory.mkdir()
    return directory


def bulk_requests(front: NodeFront) -> list[RecordedRequest]:
    return [r for r in front.requests if r.path.endswith("/_bulk")]


def test_prune_keeps_the_newest_days_within_the_cap(tmp_path: Path, spool: Path) -> None:
    days = [spool_day(spool, f"2026.11.{day:02d}", 6, pad=1_000_000) for day in range(18, 24)]
    assert main(["spool", "prune", "--config", config_file(tmp_path)]) == 0
    assert sorted(spool.iterdir()) == days[-2:]  # 2 x 6 MB fit in 16 MiB, 3 do not


def written(target: NodeTarget) -> int:
    """Documents the node has indexed into ids2-logs-*, replacements included."""
    stats = target.client().indices.stats(index="ids2-logs-*", metric="indexing")
    return int(stats["_all"]["primaries"]["indexing"]["index_total"])


def test_backfill_indexes_each_document_once_and_then_only_what_is_new(
    tmp_path: Path,
    spool: Path,
    opensearch_with_ism: NodeTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    node = opensearch_with_ism
    spool_day(spool, "2026.11.24", 3)
    today = spool_day(spool, "2026.11.25", 1200)
    config = config_file(tmp_path, opensearch={"endpoint": node.url}, batch_max_events=500)
    assert main(["spool", "backfill", "--config", config]) == 0
    assert "index template ids2-logs created" in capsys.readouterr().out
    assert node.counts() == {"ids2-logs-2026.11.24": 3, "ids2-logs-2026.11.25": 1200}
    assert written(node) == 1203
    assert main(["spool", "backfill", "--config", config]) == 0
    assert written(node) == 1203, "a second run sends nothing already sent"
    spool_day(spool, "2026.11.25", 5, first=1200)
    with today.open("ab") as handle:
        handle.write(document("2026.11.25", 9999)[:20])  # Vector is writing this line
    assert main(["spool", "backfill", "--config", config]) == 0
    assert "indexed 5 spooled document(s)" in capsys.readouterr().out
    assert node.counts()["ids2-logs-2026.11.25"] == 1205
    with today.open("ab") as handle:
        handle.write(document("2026.11.25", 9999)[20:])
    assert main(["spool", "backfill", "--config", config]) == 0
    assert node.counts()["ids2-logs-2026.11.25"] == 1206, "the finished line is not lost"


def test_backfill_with_remove_deletes_only_finished_quiet_files(
    tmp_path: Path, spool: Path, opensearch_with_ism: NodeTarget
) -> None:
    finished = spool_day(spool, "2026.11.23", 4)
    busy = spool_day(spool, "2026.11.24", 4)
    os.utime(busy, None)  # written just now: Vector may append
    config = config_file(tmp_path, opensearch={"endpoint": opensearch_with_ism.url})
    assert main(["spool", "backfill", "--remove", "--config", config]) == 0
    assert not finished.exists() and busy.exists()
    assert json.loads((spool / PROGRESS_FILE).read_text()) == {busy.name: busy.stat().st_size}


def test_refused_documents_are_reported_and_their_file_kept(
    tmp_path: Path,
    spool: Path,
    opensearch_with_ism: NodeTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = spool_day(spool, "2026.11.24", 7)
    refused = json.loads(document("2026.11.24", 7))
    refused["source"] = "an address where the template maps an object"
    with path.open("ab") as handle:
        handle.write(json.dumps(refused).encode() + b"\n")
    spool_day(spool, "2026.11.24", 2, first=8)
    config = config_file(tmp_path, opensearch={"endpoint": opensearch_with_ism.url})
    assert main(["spool", "backfill", "--remove", "--config", config]) == 1
    output = capsys.readouterr().out
    assert "indexed 9 spooled document(s); 1 refused" in output
    assert "2026.11.24-7: 400" in output and "parsing_exception" in output
    assert path.exists()


def test_pushback_is_retried_item_by_item(
    spool: Path,
    opensearch: NodeTarget,
    node_front: Callable[..., NodeFront],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The node refuses items only under load (test_opensearch_faults makes it): here the
    front refuses the whole request once, then turns the first item of the next into a 429
    and takes that document back off the node."""
    spool_day(spool, "2026.11.24", 6)
    front = node_front()
    original = front._forward

    def first_item_too_many(method: str, path: str, headers: Any, body: bytes) -> Any:
        status, answer_headers, payload = original(method, path, headers, body)
        if path.endswith("/_bulk") and len(bulk_requests(front)) == 2:
            answer = json.loads(payload)
            item = answer["items"][0]["index"]
            original("DELETE", f"/{item['_index']}/_doc/{item['_id']}", {}, b"")
            item.update(status=429, error={"type": "es_rejected_execution_exception"})
            answer["errors"] = True
            payload = json.dumps(answer).encode()
        return status, answer_headers, payload

    monkeypatch.setattr(front, "_forward", first_item_too_many)
    front.fail_next(503, path="/_bulk")  # and before that, the whole request once
    client = make_client(shipping_config(opensearch={"endpoint": front.url}), timeout=30)
    delays: list[float] = []
    report = backfill(BulkIndexer(client, "ids2-logs", sleep=delays.append), spool, 100)
    assert report.result.indexed == 6 and opensearch.counts() == {"ids2-logs-2026.11.24": 6}
    sent = [request.body.count(b"\n") // 2 for request in bulk_requests(front)]
    assert sent == [6, 6, 1], "503: all again; then only the item refused with 429"
    assert delays == [1.0, 2.0]


def test_backfill_waits_while_the_pace_is_slowed(spool: Path, opensearch: NodeTarget) -> None:
    spool_day(spool, "2026.11.24", 3)
    client = make_client(opensearch.config(), timeout=30)
    answers, waits = [True, True, False, False], []
    report = backfill(
        BulkIndexer(client, "ids2-logs"),
        spool,
        100,
        paused=lambda: answers.pop(0),
        sleep=waits.append,
    )
    assert waits == [PAUSE_POLL_SECONDS, PAUSE_POLL_SECONDS] and report.result.indexed == 3


def test_backfill_signed_with_sigv4(
    tmp_path: Path, spool: Path, signed_front: SignedFront, opensearch: NodeTarget
) -> None:
    spool_day(spool, "2026.11.24", 2)
    settings = signed_front.config()
    report = backfill(BulkIndexer(make_client(settings, timeout=30), "ids2-logs"), spool, 100)
    assert report.result.indexed == 2 and opensearch.counts() == {"ids2-logs-2026.11.24": 2}
    bulk = bulk_requests(signed_front.server)
    assert bulk[0].headers["authorization"].startswith("AWS4-HMAC-SHA256")


def test_backfill_needs_an_endpoint(tmp_path: Path) -> None:
    assert main(["spool", "backfill", "--config", config_file(tmp_path)]) == 1
