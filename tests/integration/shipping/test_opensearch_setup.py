"""Index template and ISM policy: installed idempotently, and mapping every field we produce."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest

from ids2.adapters.opensearch_client import make_client
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.opensearch_setup import MAPPINGS, prepare
from tests.doubles.opensearch_test_double import OpenSearchTestDouble
from tests.integration.vrl.ecs_vrl import as_instant, flatten, transform
from tests.integration.vrl.test_ecs_transform import corpus_lines

pytestmark = pytest.mark.integration
MACHINE = Machine(4, 8192, frozenset({"eth0"}))


@pytest.fixture
def double() -> Iterator[OpenSearchTestDouble]:
    server = OpenSearchTestDouble().start()
    yield server
    server.stop()


def config(endpoint: str, retention: int = 30) -> Config:
    return validate_document(
        {"shipping": {"opensearch": {"endpoint": endpoint, "retention_days": retention}}},
        "test",
        MACHINE,
    )


def test_install_is_idempotent_and_updates_use_seq_no(double: OpenSearchTestDouble) -> None:
    client = make_client(config(double.url), timeout=5)
    assert prepare(client, config(double.url)).endswith("policy ids2-logs-retention created")
    assert prepare(client, config(double.url)).endswith("unchanged")
    assert prepare(client, config(double.url, 7)).endswith("updated")
    policy = double.store.policies["ids2-logs-retention"]["policy"]
    assert policy["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "7d"}
    assert double.store.templates["ids2-logs"]["index_patterns"] == ["ids2-logs-*"]
    updates = [r for r in double.requests if r.method == "PUT" and "_ism" in r.path]
    assert "if_seq_no=" in updates[-1].path and "if_primary_term=" in updates[-1].path


def mapping_of(path: str) -> dict[str, Any] | None:
    node: dict[str, Any] = MAPPINGS
    for key in path.split("."):
        properties = node.get("properties", {})
        if key not in properties:
            return None
        node = properties[key]
    return node


def test_every_produced_field_is_mapped_with_a_fitting_type() -> None:
    checked = 0
    for line in corpus_lines():
        document = transform(line)
        for path, value in flatten({k: v for k, v in document.items() if k != "suricata"}):
            mapping = mapping_of(path)
            assert mapping is not None, f"{path} is produced but not mapped"
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, dict):  # dns.answers objects
                    continue
                kind = mapping.get("type")
                if kind == "ip":
                    ipaddress.ip_address(item)
                elif kind == "date":
                    assert as_instant(item) is not None, (path, item)
                elif kind == "long":
                    assert isinstance(item, int), (path, item)
                checked += 1
    assert checked > 5000
    assert MAPPINGS["properties"]["suricata"]["properties"]["eve"]["enabled"] is False


def test_a_mapped_document_round_trips_through_bulk(double: OpenSearchTestDouble) -> None:
    client = make_client(config(double.url), timeout=5)
    documents = [transform(line) for line in corpus_lines()[:20]]
    body = []
    for document in documents:
        body += [
            {"index": {"_index": "ids2-logs-2026.11.25", "_id": document["ids2"]["doc_id"]}},
            json.loads(json.dumps(document, default=str)),
        ]
    assert client.bulk(body=body)["errors"] is False
    assert client.bulk(body=body)["errors"] is False  # the same ids again: replaced
    assert client.count(index="ids2-logs-*")["count"] == len(
        {d["ids2"]["doc_id"] for d in documents}
    )
