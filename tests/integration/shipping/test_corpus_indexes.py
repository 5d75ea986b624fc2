"""Every EVE event of the shared corpora, mapped by ecs.vrl, indexes into the real node
under our template with nothing refused and nothing dropped as malformed, and the ECS
fields answer the queries their types promise."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ids2.shipping.bulk import BulkIndexer
from ids2.shipping.opensearch.setup import index_template, template_name
from tests.integration.shipping.ecs_documents import as_vector_json
from tests.integration.shipping.ecs_vrl import CORPORA, transform
from tests.integration.shipping.test_ecs_transform import corpus_lines
from tests.opensearch.target import NodeTarget

pytestmark = pytest.mark.integration
PREFIX = "ids2-logs"
EVE_FILES = ("eve-samples/**/*.eve.json", "eve-samples/**/*.ndjson", "elastic-suricata/*.log")


def every_corpus_line() -> list[str]:
    """Each line of every EVE file, plus the pretty-printed SELKS events."""
    lines = list(corpus_lines())
    for pattern in EVE_FILES:
        for path in sorted(CORPORA.glob(pattern)):
            lines.extend(line for line in path.read_text().splitlines() if line.strip())
    return lines


def is_eve(line: str) -> bool:
    event = json.loads(line)
    return isinstance(event.get("event_type"), str) and isinstance(event.get("timestamp"), str)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    """Every corpus event mapped, by document id; a line only the dead letter takes is
    one that is not EVE at all."""
    mapped: dict[str, dict[str, Any]] = {}
    for line in every_corpus_line():
        document = as_vector_json(transform(line))
        if "dead_letter_reason" in document["ids2"]:
            assert not is_eve(line), f"an EVE event went to the dead letter: {line[:200]}"
            continue
        mapped[document["ids2"]["doc_id"]] = document
    return mapped


def count(target: NodeTarget, query: dict[str, Any]) -> int:
    return int(target.client().count(index=f"{PREFIX}-*", body={"query": query})["count"])


def test_every_corpus_event_indexes_and_is_searchable_by_type(
    opensearch: NodeTarget, documents: dict[str, dict[str, Any]]
) -> None:
    node = opensearch.client()
    node.transport.perform_request(
        "PUT", f"/_index_template/{template_name(PREFIX)}", body=index_template(PREFIX)
    )
    lines = [json.dumps(document).encode() for document in documents.values()]
    result = BulkIndexer(node, PREFIX).index_lines(lines)
    print(f"{len(lines)} corpus documents: {result.indexed} indexed, {result.rejected} rejected")
    assert (result.indexed, result.rejected, result.invalid) == (len(lines), 0, 0), result.reasons
    assert sum(opensearch.counts().values()) == len(lines)
    assert count(opensearch, {"exists": {"field": "_ignored"}}) == 0, (
        "no value dropped as malformed"
    )

    rule_ids = [d["rule"]["id"] for d in documents.values() if "id" in d.get("rule", {})]
    assert len(set(rule_ids)) > 10
    for rule_id in set(rule_ids):
        assert count(opensearch, {"term": {"rule.id": rule_id}}) == rule_ids.count(rule_id)

    stamps = sorted(instant(d["@timestamp"]) for d in documents.values())
    low, high = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
    within = sum(low <= stamp <= high for stamp in stamps)
    window = {"gte": low.isoformat(), "lte": high.isoformat()}
    assert count(opensearch, {"range": {"@timestamp": window}}) == within

    network = ipaddress.ip_network("10.0.0.0/8")
    sources = [d["source"]["ip"] for d in documents.values() if "ip" in d.get("source", {})]
    inside = sum(ipaddress.ip_address(ip) in network for ip in sources)
    assert 0 < inside < len(sources)
    assert count(opensearch, {"term": {"source.ip": str(network)}}) == inside
    assert count(opensearch, {"term": {"source.ip": sources[0]}}) == sources.count(sources[0])
