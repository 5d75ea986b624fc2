"""Grafana's OpenSearch datasource as rendered: none without an endpoint, SigV4 or basic
auth as configured, and no secret in the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.common.rendered import ValidationError
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.errors import ConfigError
from ids2.stack import grafana
from ids2.stack.render import aws_group, check_datasources

MACHINE = Machine(4, 8192, frozenset({"eth0"}))
AWS_ENDPOINT = "https://search-sensors-abc123.eu-west-1.es.amazonaws.com"
PASSWORD = "os-s3cret-password"


def config(tmp_path: Path, secrets: str = "", **opensearch: Any) -> Config:
    path = tmp_path / "secrets.yaml"
    path.write_text(secrets)
    path.chmod(0o600)
    document = {"shipping": {"secrets_file": str(path), "opensearch": opensearch}}
    return validate_document(document, "test", MACHINE)


def rendered(settings: Config) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(grafana.datasource_file(settings))
    return document


def basic(tmp_path: Path, **opensearch: Any) -> Config:
    secrets = f"opensearch_username: grafana-reader\nopensearch_password: {PASSWORD}\n"
    return config(tmp_path, secrets, endpoint="https://search.lan:9200", auth="basic", **opensearch)


def test_without_an_endpoint_the_datasource_is_deleted_and_nothing_installed(
    tmp_path: Path,
) -> None:
    settings = config(tmp_path)
    assert rendered(settings) == {
        "apiVersion": 1,
        "deleteDatasources": [{"name": "OpenSearch", "orgId": 1}],
        "datasources": [],
    }
    assert grafana.environment(settings) == {}


def test_the_datasource_reads_the_daily_indices_with_the_pinned_plugin(tmp_path: Path) -> None:
    settings = basic(tmp_path, index_prefix="lab-logs")
    [source] = rendered(settings)["datasources"]
    assert source["type"] == "grafana-opensearch-datasource"
    assert source["url"] == "https://search.lan:9200"
    assert source["uid"] == grafana.DATASOURCE_UID
    data = source["jsonData"]
    assert data["flavor"] == "opensearch"
    assert data["version"] == grafana.OPENSEARCH_VERSION
    assert data["timeField"] == "@timestamp"
    assert data["database"] == "lab-logs-*"
    assert data["tlsSkipVerify"] is False
    plugin = grafana.environment(settings)["GF_INSTALL_PLUGINS"]
    assert plugin == f"grafana-opensearch-datasource {grafana.PLUGIN_VERSION}"
    assert grafana.PLUGIN_VERSION.count(".") == 2, "a pinned version, never latest"


def test_basic_auth_password_only_through_secure_json_data(tmp_path: Path) -> None:
    settings = basic(tmp_path)
    text = grafana.datasource_file(settings)
    assert PASSWORD not in text
    [source] = rendered(settings)["datasources"]
    assert source["basicAuth"] is True
    assert source["basicAuthUser"] == "grafana-reader"
    assert source["secureJsonData"] == {"basicAuthPassword": "${IDS2_OPENSEARCH_PASSWORD}"}
    assert "sigV4Auth" not in source["jsonData"]
    assert grafana.environment(settings)["IDS2_OPENSEARCH_PASSWORD"] == PASSWORD


def test_a_password_an_env_file_cannot_carry_is_refused(tmp_path: Path) -> None:
    settings = config(
        tmp_path,
        "opensearch_username: u\nopensearch_password: pa$word\n",
        endpoint="https://search.lan:9200",
        auth="basic",
    )
    with pytest.raises(ConfigError, match="opensearch_password"):
        grafana.environment(settings)


def test_basic_auth_without_a_user_names_the_secrets_file(tmp_path: Path) -> None:
    settings = config(tmp_path, "", endpoint="https://search.lan:9200", auth="basic")
    with pytest.raises(ConfigError, match=r"secrets\.yaml.*opensearch_username"):
        grafana.datasource_file(settings)


def test_sigv4_signs_for_the_endpoint_region_and_enables_sigv4_in_grafana(
    tmp_path: Path,
) -> None:
    settings = config(tmp_path, endpoint=AWS_ENDPOINT, auth="aws")
    [source] = rendered(settings)["datasources"]
    data = source["jsonData"]
    assert (data["sigV4Auth"], data["sigV4AuthType"], data["sigV4Region"]) == (
        True,
        "default",
        "eu-west-1",
    )
    assert "basicAuth" not in source and "secureJsonData" not in source
    environment = grafana.environment(settings)
    assert environment["GF_AUTH_SIGV4_AUTH_ENABLED"] == "true"
    assert environment["AWS_SHARED_CREDENTIALS_FILE"] == "/etc/grafana/aws/credentials"


def test_sigv4_with_a_profile_and_a_configured_region(tmp_path: Path) -> None:
    settings = config(
        tmp_path,
        endpoint="https://search.example.net",
        auth="aws",
        aws_profile="sensor",
        aws_region="us-east-2",
    )
    data = rendered(settings)["datasources"][0]["jsonData"]
    assert (data["sigV4AuthType"], data["sigV4Profile"], data["sigV4Region"]) == (
        "credentials",
        "sensor",
        "us-east-2",
    )
    unnamed = config(tmp_path, endpoint="https://search.example.net", auth="aws")
    assert rendered(unnamed)["datasources"][0]["jsonData"]["sigV4Region"] == "default"


def test_a_ca_bundle_is_read_from_the_mounted_copy(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    settings = basic(tmp_path, ca_bundle=str(bundle), verify_tls=False)
    [source] = rendered(settings)["datasources"]
    assert source["jsonData"]["tlsAuthWithCACert"] is True
    assert source["jsonData"]["tlsSkipVerify"] is True
    assert source["secureJsonData"]["tlsCACert"] == "$__file{/etc/grafana/ids2-ca-bundle.pem}"


def test_the_check_refuses_a_datasource_grafana_cannot_make(tmp_path: Path) -> None:
    path = tmp_path / grafana.DATASOURCE_FILE
    path.write_text(grafana.datasource_file(basic(tmp_path)))
    assert check_datasources(path) == "1 datasource"
    path.write_text("apiVersion: 1\ndatasources:\n  - name: OpenSearch\n    type: x\n")
    with pytest.raises(ValidationError, match="lacks uid, url"):
        check_datasources(path)
    path.write_text("datasources: [")
    with pytest.raises(ValidationError, match="not YAML"):
        check_datasources(path)


def test_grafana_gets_the_aws_directory_group_never_root(tmp_path: Path) -> None:
    settings = config(tmp_path)
    assert aws_group(settings) == 65534, "no directory: nogroup"
    (tmp_path / "aws").mkdir()
    os.chown(tmp_path / "aws", -1, 4242)
    assert aws_group(settings) == 4242
    os.chown(tmp_path / "aws", -1, 0)
    assert aws_group(settings) == 65534
