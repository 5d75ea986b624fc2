"""The Redis fallback with a real redis-server started as the compose file starts it: the
list is bounded (a full Redis refuses writes, so Vector's redis sink blocks upstream), the
spill depth is visible, and ids2's drain moves it into the real OpenSearch node reliably
and once."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.cli import main
from ids2.common.stack_files import stack_dir
from ids2.shipping.bulk import BulkIndexer, BulkIndexError
from ids2.shipping.fallback import (
    RedisError,
    connect,
    drain,
    lock_key,
    processing_key,
    spill_depth,
)
from ids2.shipping.opensearch.client import make_client
from tests.integration.shipping.conftest import shipping_config
from tests.integration.shipping.ecs_documents import ecs_lines
from tests.opensearch.target import NodeTarget
from tests.support.ports import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server missing"),
]
KEY = "ids2:spill"


def compose_redis_arguments(maxmemory: str) -> list[str]:
    """redis-server's arguments from stack/docker-compose.yml, with a small memory limit."""
    compose = yaml.safe_load((stack_dir() / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    assert command[0] == "redis-server"
    return [maxmemory if "IDS2_REDIS_MAXMEMORY" in arg else arg for arg in command[1:]]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    arguments = [
        *compose_redis_arguments("16mb"),
        *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", ""),
    ]
    server = subprocess.Popen(["redis-server", *arguments], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            with connect(url) as probe:
                probe.ping()
            break
        except RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


def indexer(url: str, attempts: int = 8) -> BulkIndexer:
    client = make_client(shipping_config(opensearch={"endpoint": url}), timeout=5)
    return BulkIndexer(client, "ids2-logs", attempts=attempts, sleep=lambda seconds: None)


class RecordsBulks:
    """The client as it is, keeping each bulk body, to read the order documents went in."""

    def __init__(self, client: Any) -> None:
        self.client, self.bodies = client, list[bytes]()

    def bulk(self, body: bytes) -> Any:
        self.bodies.append(body)
        return self.client.bulk(body=body)


def spill(url: str, lines: list[bytes]) -> None:
    """What Vector's redis sink does: RPUSH each event's JSON onto the list."""
    with connect(url) as redis:
        for start in range(0, len(lines), 100):
            redis.rpush(KEY, *lines[start : start + 100])


def test_a_full_redis_refuses_writes_and_keeps_what_it_holds(redis_url: str) -> None:
    line = ecs_lines(1)[0]
    pushed = 0
    with (
        pytest.raises(RedisError, match="refused: command not allowed when used memory"),
        connect(redis_url) as redis,
    ):
        for pushed in range(100_000):  # noqa: B007 - counted for the check below
            redis.rpush(KEY, line)
    assert 0 < pushed < 100_000, "maxmemory bounds the list"
    with connect(redis_url) as redis:
        assert spill_depth(redis, KEY) == pushed, "noeviction: nothing already spilled is lost"
        assert redis.lpop(KEY, pushed // 2) == [line] * (pushed // 2)
        redis.rpush(KEY, line)  # drained, it takes events again


def test_drain_indexes_oldest_first_once(redis_url: str, opensearch: NodeTarget) -> None:
    lines = ecs_lines(250)
    spill(redis_url, lines)
    recording = indexer(opensearch.url)
    recording.client = RecordsBulks(recording.client)
    with connect(redis_url) as redis:
        assert spill_depth(redis, KEY) == 250
        report = drain(redis, KEY, recording, batch_size=100)
        assert (report.result.indexed, report.batches, report.left) == (250, 3, 0)
        assert redis.exists(lock_key(KEY)) == 0, "the lock is released"
    first = recording.client.bodies[0].splitlines()
    assert first[1] == lines[0] and first[3] == lines[1]
    assert sum(opensearch.counts().values()) == 250


def test_an_interrupted_drain_resumes_without_loss_or_duplicates(
    redis_url: str, opensearch: NodeTarget
) -> None:
    lines = ecs_lines(120)
    spill(redis_url, lines)
    unreachable = f"http://127.0.0.1:{free_port()}"
    with connect(redis_url) as redis:
        with pytest.raises(BulkIndexError, match="100 documents still refused after 1 attempts"):
            drain(redis, KEY, indexer(unreachable, attempts=1), batch_size=100)
        assert redis.llen(processing_key(KEY)) == 100
        assert spill_depth(redis, KEY) == 120, "nothing left Redis before it was indexed"
        report = drain(redis, KEY, indexer(opensearch.url), batch_size=100)
        assert report.result.indexed == 120 and report.left == 0
    assert sum(opensearch.counts().values()) == 120


def test_draining_while_vector_pops_shares_the_list_without_overlap(
    redis_url: str, opensearch: NodeTarget
) -> None:
    lines = ecs_lines()
    spill(redis_url, lines)
    popped: list[bytes] = []

    def vector_redis_source() -> None:  # BLPOP, as Vector's redis source reads the list
        with connect(redis_url) as redis:
            while (answer := redis.blpop([KEY], timeout=0.2)) is not None:
                popped.append(answer[1])

    consumer = threading.Thread(target=vector_redis_source)
    consumer.start()
    with connect(redis_url) as redis:
        report = drain(redis, KEY, indexer(opensearch.url), batch_size=20)
    consumer.join(timeout=10)
    indexed = {source["ids2"]["doc_id"] for source in opensearch.sources()}
    popped_ids = {line.split(b'"doc_id": "')[1][:64].decode() for line in popped}
    assert report.result.indexed == len(indexed) and not indexed & popped_ids
    assert len(indexed) + len(popped) == len(lines) > 300


def test_one_drain_at_a_time(redis_url: str) -> None:
    with connect(redis_url) as redis:
        redis.set(lock_key(KEY), "someone-else")
        with pytest.raises(RedisError, match="another drain of ids2:spill is running"):
            drain(redis, KEY, indexer(f"http://127.0.0.1:{free_port()}"), batch_size=10)


def test_the_cli_shows_the_depth_and_drains(
    tmp_path: Path,
    redis_url: str,
    opensearch_with_ism: NodeTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spill(redis_url, ecs_lines(30))
    config = tmp_path / "config.yaml"
    endpoint = {"endpoint": opensearch_with_ism.url}
    config.write_text(yaml.safe_dump({"shipping": {"opensearch": endpoint}}))
    arguments = ["spool", "redis", "--config", str(config), "--url", redis_url]
    assert main(arguments) == 0
    assert "30 event(s) spilled in ids2:spill" in capsys.readouterr().out
    assert main([*arguments, "--drain"]) == 0
    assert (
        "drained 30 event(s) from ids2:spill in 1 batch(es); 0 refused" in capsys.readouterr().out
    )


def test_redis_errors_are_ids2_errors(redis_url: str) -> None:
    with connect(redis_url) as redis:
        redis.set("a-string", "x")
        assert redis.get("missing") is None
    with pytest.raises(RedisError, match="refused: WRONGTYPE"), connect(redis_url) as redis:
        redis.llen("a-string")
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    with (
        pytest.raises(RedisError, match=r"cannot reach Redis at 127\.0\.0\.1"),
        connect(unreachable) as redis,
    ):
        redis.ping()
    with pytest.raises(RedisError, match="is not a redis://host:port/db URL"), connect("http://x"):
        pass
