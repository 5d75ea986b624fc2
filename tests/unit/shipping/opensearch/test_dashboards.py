"""The Dashboards import request, built without a network: where it goes, what it uploads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.shipping.opensearch.dashboards import (
    dashboards_url,
    import_request,
    multipart_file,
    saved_objects,
    saved_objects_file,
)
from tests.doubles.dashboards_double import form_fields

MACHINE = Machine(4, 8192, frozenset({"eth0"}))
AWS_ENDPOINT = "https://search-sensors-abc123.eu-west-1.es.amazonaws.com"


def config(**opensearch: Any) -> Config:
    return validate_document({"shipping": {"opensearch": opensearch}}, "test", MACHINE)


def test_aws_dashboards_live_under_the_endpoint() -> None:
    assert dashboards_url(config(endpoint=AWS_ENDPOINT + "/", auth="aws")) == (
        AWS_ENDPOINT + "/_dashboards"
    )


def test_a_configured_url_wins_for_any_auth() -> None:
    url = "https://dashboards.example.net:5601/"
    for auth in ("aws", "basic", "none"):
        settings = config(endpoint=AWS_ENDPOINT, auth=auth, dashboards_url=url)
        assert dashboards_url(settings) == url.rstrip("/")


def test_self_hosted_without_a_url_has_none() -> None:
    assert dashboards_url(config(endpoint="https://search.example.net:9200", auth="basic")) == ""
    assert dashboards_url(config()) == ""


def test_the_upload_is_the_shipped_file_for_the_default_prefix() -> None:
    shipped = [json.loads(line) for line in Path(saved_objects_file()).read_text().splitlines()]
    uploaded = [json.loads(line) for line in saved_objects("ids2-logs").splitlines()]
    assert uploaded == shipped


def test_the_index_pattern_follows_the_index_prefix() -> None:
    uploaded = [json.loads(line) for line in saved_objects("lab-logs").splitlines()]
    titles = [obj["attributes"]["title"] for obj in uploaded if obj["type"] == "index-pattern"]
    assert titles == ["lab-logs-*"]
    assert b"ids2-logs-*" not in saved_objects("lab-logs")


def test_multipart_round_trip_and_same_content_same_body() -> None:
    content = saved_objects("ids2-logs")
    upload = multipart_file("file", "ids2-alerts.ndjson", content)
    part = form_fields(upload.content_type, upload.body)["file"]
    assert part.get_filename() == "ids2-alerts.ndjson"
    assert part.get_payload(decode=True) == content
    assert multipart_file("file", "ids2-alerts.ndjson", content) == upload
    assert multipart_file("file", "ids2-alerts.ndjson", content + b"\n").body != upload.body


def test_the_import_asks_for_overwrite_and_carries_the_xsrf_header() -> None:
    upload, headers, params = import_request(b'{"type": "search", "id": "x"}\n')
    assert params == {"overwrite": "true"}
    assert headers == {"Content-Type": upload.content_type, "osd-xsrf": "true"}
    assert upload.content_type.startswith("multipart/form-data; boundary=ids2-")
