"""The index template maps every field ecs.vrl produces, with a type its values fit; the
mapped documents land in the real node's day indices under their own ids."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from ids2.shipping.bulk import BulkIndexer, index_name
from ids2.shipping.opensearch.client import make_client
from ids2.shipping.opensearch.setup import index_template, ism_policy
from tests.integration.shipping.ecs_documents import ecs_documents, ecs_lines
from tests.opensearch.target import NodeTarget

pytest.importorskip("vrl_python")
pytestmark = pytest.mark.integration
MAPPINGS = index_template("ids2-logs")["template"]["mappings"]
LUCENE_TERM_LIMIT_CHARACTERS = 8191  # 32766 bytes of UTF-8, four bytes per character at most


def mapping_of(path: str) -> dict[str, Any] | None:
    node: dict[str, Any] = MAPPINGS
    for key in path.split("."):
        node = node.get("properties", {}).get(key)
        if node is None:
            return None
    return node


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every scalar, looking into lists of objects too."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, prefix)
    else:
        yield prefix[:-1], value


def fits(kind: str | None, value: Any) -> bool:
    if kind == "ip":
        return bool(ipaddress.ip_address(value))
    if kind == "date":
        return datetime.fromisoformat(value).tzinfo is not None
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("keyword", "text"):
        return isinstance(value, str)
    return False


def test_every_produced_field_is_mapped_with_a_type_its_values_fit() -> None:
    checked, kinds = 0, set()
    for document in ecs_documents():
        ecs = {key: value for key, value in document.items() if key != "suricata"}
        for path, value in leaves(ecs):
            mapping = mapping_of(path)
            assert mapping is not None, f"{path} is produced but not mapped"
            assert fits(mapping.get("type"), value), (path, value, mapping)
            kinds.add(mapping["type"])
            checked += 1
    assert checked > 5000 and kinds == {"ip", "date", "long", "keyword", "text"}


def test_nothing_can_explode_the_mapping_or_refuse_a_document() -> None:
    assert MAPPINGS["dynamic"] is False
    assert MAPPINGS["properties"]["suricata"]["properties"]["eve"]["enabled"] is False
    settings = index_template("ids2-logs")["template"]["settings"]["index"]
    assert settings["mapping"]["ignore_malformed"] is True

    def keywords(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
        for key, inner in node.get("properties", {}).items():
            if inner.get("type") == "keyword":
                yield f"{path}{key}", inner
            yield from keywords(inner, f"{path}{key}.")

    for path, keyword in keywords(MAPPINGS):
        indexed = keyword.get("index", True)
        assert not indexed or 0 < keyword["ignore_above"] <= LUCENE_TERM_LIMIT_CHARACTERS, path


def test_templates_follow_the_prefix_and_retention() -> None:
    template = index_template("lab-a")
    assert template["index_patterns"] == ["lab-a-*"]
    policy = ism_policy("lab-a", 90)["policy"]
    assert policy["ism_template"][0]["index_patterns"] == ["lab-a-*"]
    assert policy["states"][0]["transitions"][0]["conditions"] == {"min_index_age": "90d"}
    assert policy["states"][1]["actions"] == [{"delete": {}}]
    assert template["_meta"]["ids2_digest"] != index_template("lab-b")["_meta"]["ids2_digest"]


def test_mapped_documents_index_twice_into_their_day_without_duplicates(
    opensearch: NodeTarget,
) -> None:
    client = make_client(opensearch.config(), timeout=30)
    indexer = BulkIndexer(client, "ids2-logs")
    lines = ecs_lines()
    assert indexer.index_lines(lines).indexed == len(lines)
    assert indexer.index_lines(lines).indexed == len(lines)
    assert sum(opensearch.counts().values()) == len(lines)
    hits = opensearch.client().search(index="ids2-logs-*", size=len(lines))["hits"]["hits"]
    assert len(hits) == len(lines)
    for hit in hits:
        assert hit["_index"] == index_name("ids2-logs", hit["_source"]["@timestamp"])
        assert hit["_id"] == hit["_source"]["ids2"]["doc_id"]
