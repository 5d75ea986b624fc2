"""The OpenSearch Dashboards saved objects shipped in stack/: well formed, and every field they
use exists in our index template with a type that can do what the object asks of it."""

import json
from pathlib import Path
from typing import Any

import pytest

from ids2.common.stack_files import stack_dir
from tests.unit.stack.template_fields import mapped_types

NDJSON = stack_dir() / "opensearch-dashboards" / "ids2-alerts.ndjson"
# Types a terms aggregation can bucket on; text fields cannot.
AGGREGATABLE = {"keyword", "ip", "long", "integer", "short", "byte"}


def _objects(path: Path = NDJSON) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _by_type(kind: str) -> list[dict[str, Any]]:
    return [obj for obj in _objects() if obj["type"] == kind]


def _aggs() -> list[dict[str, Any]]:
    return [
        agg
        for vis in _by_type("visualization")
        for agg in json.loads(vis["attributes"]["visState"])["aggs"]
    ]


def test_every_line_is_a_json_object_with_a_unique_id() -> None:
    lines = NDJSON.read_text().splitlines()
    objects = [json.loads(line) for line in lines]
    assert lines and all(isinstance(obj, dict) for obj in objects)
    assert len({(obj["type"], obj["id"]) for obj in objects}) == len(objects)


def test_every_reference_resolves_to_an_object_in_the_file() -> None:
    present = {(obj["type"], obj["id"]) for obj in _objects()}
    for obj in _objects():
        for reference in obj["references"]:
            assert (reference["type"], reference["id"]) in present, (obj["id"], reference)


def test_every_ref_name_used_in_attributes_is_declared() -> None:
    for obj in _objects():
        declared = {reference["name"] for reference in obj["references"]}
        attributes = obj["attributes"]
        used = set()
        if "savedSearchRefName" in attributes:
            used.add(attributes["savedSearchRefName"])
        source = json.loads(
            attributes.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON", "{}")
        )
        if "indexRefName" in source:
            used.add(source["indexRefName"])
        used |= {panel["panelRefName"] for panel in json.loads(attributes.get("panelsJSON", "[]"))}
        assert used <= declared, obj["id"]


def test_index_pattern_is_on_timestamp_and_the_time_field_is_a_date() -> None:
    (pattern,) = _by_type("index-pattern")
    assert pattern["attributes"]["title"] == "ids2-logs-*"
    assert mapped_types()[pattern["attributes"]["timeFieldName"]] == "date"


def test_saved_search_keeps_alerts_and_drops_the_canary() -> None:
    (search,) = _by_type("search")
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["query"] == {
        "language": "kuery",
        "query": "event.kind:alert and not tags:ids2-canary",
    }
    types = mapped_types()
    assert types["event.kind"] == "keyword" and types["tags"] == "keyword"


def test_saved_search_columns_are_mapped_fields() -> None:
    (search,) = _by_type("search")
    types = mapped_types()
    missing = [column for column in search["attributes"]["columns"] if column not in types]
    assert not missing


@pytest.mark.parametrize("kind", ["terms", "date_histogram"])
def test_aggregated_fields_exist_with_a_fitting_type(kind: str) -> None:
    types = mapped_types()
    fields = [agg["params"]["field"] for agg in _aggs() if agg["type"] == kind]
    assert fields
    allowed = AGGREGATABLE if kind == "terms" else {"date"}
    assert {field: types.get(field) for field in fields} == {
        field: types[field] for field in fields if types.get(field) in allowed
    }


def test_address_formatters_link_an_address_to_a_filtered_discover() -> None:
    (pattern,) = _by_type("index-pattern")
    formats = json.loads(pattern["attributes"]["fieldFormatMap"])
    types = mapped_types()
    assert set(formats) == {"source.ip", "destination.ip"}
    for field, formatter in formats.items():
        assert types[field] == "ip"
        assert formatter["id"] == "url"
        template = formatter["params"]["urlTemplate"]
        assert template.startswith("/app/discover#") and f"{field}:" in template
        assert "{{value}}" in template


def test_the_dashboard_shows_every_visualization_and_the_search() -> None:
    (dashboard,) = _by_type("dashboard")
    assert dashboard["attributes"]["title"] == "ids2 alerts"
    shown = {reference["id"] for reference in dashboard["references"]}
    wanted = {obj["id"] for obj in _objects() if obj["type"] in ("visualization", "search")}
    assert shown == wanted
