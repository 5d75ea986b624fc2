"""The Dashboards double refuses what Dashboards refuses, so the import tests can fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ids2.shipping.opensearch.dashboards import import_request, multipart_file
from ids2.shipping.opensearch.http import OpenSearchHTTP, OpenSearchHTTPError, basic_signer
from tests.doubles.dashboards_double import DashboardsTestDouble

OBJECT = b'{"type": "search", "id": "ids2-alerts-search", "attributes": {"title": "t"}}\n'
ROUTE = "/api/saved_objects/_import"


@pytest.fixture
def double() -> Iterator[DashboardsTestDouble]:
    with DashboardsTestDouble() as running:
        yield running


def post(double: DashboardsTestDouble, headers: dict[str, str], body: bytes, **params: str) -> dict:
    client = OpenSearchHTTP(double.dashboards_url, timeout=5)
    try:
        return client.send("POST", ROUTE, body, headers, params)
    finally:
        client.close()


def test_without_the_xsrf_header_it_is_a_bad_request(double: DashboardsTestDouble) -> None:
    upload, headers, params = import_request(OBJECT)
    del headers["osd-xsrf"]
    with pytest.raises(OpenSearchHTTPError, match=r"400 .*osd-xsrf header"):
        post(double, headers, upload.body, **params)


def test_a_field_not_named_file_or_not_ndjson_is_refused(double: DashboardsTestDouble) -> None:
    for upload, reason in (
        (multipart_file("upload", "ids2-alerts.ndjson", OBJECT), r"request\.body\.file"),
        (multipart_file("file", "ids2-alerts.json", OBJECT), r"Invalid file extension \.json"),
    ):
        headers = {"Content-Type": upload.content_type, "osd-xsrf": "true"}
        with pytest.raises(OpenSearchHTTPError, match=reason):
            post(double, headers, upload.body, overwrite="true")
    assert double.saved == {}


def test_a_json_body_is_not_an_upload(double: DashboardsTestDouble) -> None:
    headers = {"Content-Type": "application/json", "osd-xsrf": "true"}
    with pytest.raises(OpenSearchHTTPError, match=r"request\.body\.file"):
        post(double, headers, OBJECT, overwrite="true")


def test_without_overwrite_a_second_import_conflicts(double: DashboardsTestDouble) -> None:
    upload, headers, _params = import_request(OBJECT)
    assert post(double, headers, upload.body)["success"] is True
    again = post(double, headers, upload.body)
    assert again["success"] is False and again["successCount"] == 0
    assert again["errors"][0]["error"] == {"type": "conflict"}
    assert post(double, headers, upload.body, overwrite="true")["successCount"] == 1


def test_another_path_or_method_is_not_found(double: DashboardsTestDouble) -> None:
    upload, headers, params = import_request(OBJECT)
    client = OpenSearchHTTP(double.dashboards_url, timeout=5)
    with pytest.raises(OpenSearchHTTPError, match="404"):
        client.send("PUT", ROUTE, upload.body, headers, params)
    with pytest.raises(OpenSearchHTTPError, match="404"):
        client.send("POST", "/api/saved_objects/import", upload.body, headers, params)
    client.close()


def test_with_a_password_it_asks_for_basic_auth() -> None:
    """As a self-hosted Dashboards with the security plugin: 401 unless the password is right."""
    upload, headers, params = import_request(OBJECT)
    with DashboardsTestDouble(password="right") as double:
        wrong = OpenSearchHTTP(double.dashboards_url, 5, sign=basic_signer("ids2", "wrong"))
        with pytest.raises(OpenSearchHTTPError, match="401"):
            wrong.send("POST", ROUTE, upload.body, headers, params)
        right = OpenSearchHTTP(double.dashboards_url, 5, sign=basic_signer("ids2", "right"))
        assert right.send("POST", ROUTE, upload.body, headers, params)["success"] is True
        wrong.close()
        right.close()
