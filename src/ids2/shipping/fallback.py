"""The Redis fallback buffer, seen from ids2: how much has spilled, and a drain of last resort.

Vector does the spilling and the draining itself (docs/shipping.md): every event passes
through the Redis list on its way to the OpenSearch sink's disk buffer, so the list only
grows while that buffer is full and blocks, and shrinks again once OpenSearch is back.
ids2 adds two things: the spill depth, for status and alerts; and a drain into
OpenSearch for a list Vector no longer reads (the Redis path turned off, Vector broken).

The drain is reliable: a batch moves atomically to a processing list, is indexed with
the documents' own ids, and only then is deleted. A crash leaves it in the processing
list, where the next drain starts; indexing it again replaces and never duplicates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

from redis import Redis
from redis import exceptions as redis_errors

from ids2.errors import Ids2Error
from ids2.shipping.bulk import BulkIndexer, BulkResult

HOST_URL = "redis://127.0.0.1:6379/0"
MAX_MOVE = 1000  # elements one Lua call may unpack safely
LOCK_SECONDS = 600
# Take up to ARGV[1] items from the head of KEYS[1] and append them to KEYS[2], atomically.
MOVE_SCRIPT = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  redis.call('RPUSH', KEYS[2], unpack(items))
end
return items
"""
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisError(Ids2Error):
    """Redis could not be reached, answered a command with an error, or is being drained."""


@contextmanager
def connect(url: str, timeout: float = 5.0) -> Iterator[Redis]:
    """A client of the Redis at `url` (redis://[:password@]host[:port][/db]) for a `with`.

    redis-py's errors raised inside the block come out as RedisError naming the host, so
    the CLI reports them in one line like every ids2 error.
    """
    parts = urlsplit(url)
    if parts.scheme != "redis" or not parts.hostname:
        raise RedisError(f"{url!r} is not a redis://host:port/db URL")
    client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        yield client
    except redis_errors.ConnectionError as error:
        raise RedisError(f"cannot reach Redis at {parts.hostname}:{parts.port}: {error}") from None
    except redis_errors.RedisError as error:
        raise RedisError(f"Redis at {parts.hostname}:{parts.port} refused: {error}") from None
    finally:
        client.close()


def processing_key(key: str) -> str:
    """The list that holds the batch a drain is indexing."""
    return f"{key}:draining"


def lock_key(key: str) -> str:
    """The key that lets one drain run at a time."""
    return f"{key}:drain-lock"


@dataclass
class DrainReport:
    """What a drain indexed, in how many batches, and what is left in Redis."""

    result: BulkResult = field(default_factory=BulkResult)
    batches: int = 0
    left: int = 0


def spill_depth(redis: Redis, key: str) -> int:
    """Events waiting in Redis: the spill list and an interrupted drain's batch."""
    return int(redis.llen(key)) + int(redis.llen(processing_key(key)))


def _index(redis: Redis, key: str, items: list[bytes], indexer: BulkIndexer) -> BulkResult:
    result = indexer.index_lines(items)
    redis.delete(processing_key(key))
    return result


def drain(redis: Redis, key: str, indexer: BulkIndexer, batch_size: int) -> DrainReport:
    """Index everything in the spill list into OpenSearch, oldest first.

    Raises RedisError when another drain holds the lock, and the indexer's errors when
    OpenSearch refuses; a batch being indexed then stays in Redis for the next run.
    """
    token = uuid.uuid4().hex
    if redis.set(lock_key(key), token, nx=True, ex=LOCK_SECONDS) is None:
        raise RedisError(f"another drain of {key} is running (lock {lock_key(key)})")
    report = DrainReport()
    try:
        interrupted = cast(list[bytes], redis.lrange(processing_key(key), 0, -1))
        if interrupted:
            report.result.add(_index(redis, key, interrupted, indexer))
            report.batches += 1
        while True:
            move = min(batch_size, MAX_MOVE)
            items = cast(list[bytes], redis.eval(MOVE_SCRIPT, 2, key, processing_key(key), move))
            if not items:
                break
            report.result.add(_index(redis, key, items, indexer))
            report.batches += 1
            redis.expire(lock_key(key), LOCK_SECONDS)
    finally:
        redis.eval(RELEASE_SCRIPT, 1, lock_key(key), token)
    report.left = spill_depth(redis, key)
    return report
