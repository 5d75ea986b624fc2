"""ECS documents as Vector writes them: corpus EVE lines through ecs.vrl, encoded as JSON.

vrl-python renders timestamps as '2026-11-25 10:00:00.123456 UTC'; Vector's JSON
encoder writes RFC 3339 ('2026-11-25T10:00:00.123456Z'). These helpers give the latter,
which is what the spool files and the Redis list hold.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from ids2.shipping.canary import canary_line
from tests.integration.shipping.ecs_vrl import transform
from tests.integration.shipping.test_ecs_transform import corpus_lines

_VRL_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$")


def as_vector_json(value: Any) -> Any:
    """`value` with every VRL timestamp rendered the way Vector's JSON encoder does."""
    if isinstance(value, dict):
        return {key: as_vector_json(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [as_vector_json(item) for item in value]
    if isinstance(value, str) and (match := _VRL_TIMESTAMP.match(value)):
        return f"{match[1]}T{match[2]}Z"
    return value


@functools.cache
def ecs_documents() -> tuple[dict[str, Any], ...]:
    """Every corpus event and a canary, mapped, one per document id."""
    lines = [*corpus_lines(), canary_line("canary-for-tests", time.time()).decode()]
    documents = {}
    for line in lines:
        document = as_vector_json(transform(line))
        if "dead_letter_reason" not in document["ids2"]:
            documents[document["ids2"]["doc_id"]] = document
    return tuple(documents.values())


def ecs_lines(count: int | None = None) -> list[bytes]:
    """NDJSON lines of the first `count` documents (all when None)."""
    return [json.dumps(document).encode() for document in ecs_documents()[:count]]


def day_of_documents(day: str, count: int) -> list[bytes]:
    """`count` distinct ECS lines of one day (YYYY.MM.DD), as a spool day file holds them:
    the corpus documents over and over, each copy with its own time and id."""
    return list(iter_day_of_documents(day, count))


def iter_day_of_documents(day: str, count: int) -> Iterator[bytes]:
    """The lines of `day_of_documents` one by one, for day files too big to hold in memory."""
    corpus = ecs_documents()
    midnight = datetime.datetime.fromisoformat(f"{day.replace('.', '-')}T00:00:00")
    for number in range(count):
        document = dict(corpus[number % len(corpus)])
        stamp = midnight + datetime.timedelta(microseconds=100 * number)
        document["@timestamp"] = f"{stamp:%Y-%m-%dT%H:%M:%S.%f}Z"
        document["ids2"] = {**document["ids2"], "doc_id": f"{day}-{number}"}
        yield json.dumps(document).encode()
