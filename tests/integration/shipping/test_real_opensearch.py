"""Opt-in: the template, ISM policy and mapped documents against a real OpenSearch.

    IDS2_TEST_OPENSEARCH_URL=https://localhost:9200 \\
    IDS2_TEST_OPENSEARCH_USER=admin IDS2_TEST_OPENSEARCH_PASSWORD=... \\
    IDS2_TEST_OPENSEARCH_CA_BUNDLE=/path/ca.pem .venv/bin/pytest -m opensearch

For AWS: IDS2_TEST_OPENSEARCH_AUTH=aws, IDS2_TEST_OPENSEARCH_REGION, and credentials from
the environment or AWS_PROFILE. IDS2_TEST_OPENSEARCH_VERIFY_TLS=0 for a lab certificate.
Everything is created under a random prefix and deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ids2.config.load import Config
from ids2.connectivity.round import probe_round
from ids2.shipping.bulk import BulkIndexer, index_name
from ids2.shipping.canary_sinks import OpenSearchSink
from ids2.shipping.opensearch.client import make_client
from ids2.shipping.opensearch.http import make_http_client
from ids2.shipping.opensearch.setup import policy_id, prepare, template_name
from tests.integration.shipping.conftest import shipping_config
from tests.integration.shipping.ecs_documents import ecs_documents, ecs_lines

URL = os.environ.get("IDS2_TEST_OPENSEARCH_URL", "")
pytestmark = [
    pytest.mark.opensearch,
    pytest.mark.skipif(not URL, reason="set IDS2_TEST_OPENSEARCH_URL to run against OpenSearch"),
]


def real_config(tmp_path: Path, prefix: str) -> Config:
    environ = os.environ
    user = environ.get("IDS2_TEST_OPENSEARCH_USER", "")
    auth = environ.get("IDS2_TEST_OPENSEARCH_AUTH") or ("basic" if user else "none")
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        yaml.safe_dump(
            {
                "opensearch_username": user,
                "opensearch_password": environ.get("IDS2_TEST_OPENSEARCH_PASSWORD", ""),
            }
        )
    )
    secrets.chmod(0o600)
    opensearch = {
        "endpoint": URL,
        "auth": auth,
        "aws_region": environ.get("IDS2_TEST_OPENSEARCH_REGION", ""),
        "ca_bundle": environ.get("IDS2_TEST_OPENSEARCH_CA_BUNDLE", ""),
        "verify_tls": environ.get("IDS2_TEST_OPENSEARCH_VERIFY_TLS", "1") != "0",
        "index_prefix": prefix,
        "retention_days": 2,
    }
    return shipping_config(opensearch=opensearch, secrets_file=str(secrets))


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[tuple[Any, Config]]:
    prefix = f"ids2-test-{uuid.uuid4().hex[:8]}"
    config = real_config(tmp_path, prefix)
    client = make_client(config, timeout=30)
    try:
        yield client, config
    finally:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        for path in (
            f"/_index_template/{template_name(prefix)}",
            f"/_plugins/_ism/policies/{policy_id(prefix)}",
        ):
            client.transport.perform_request("DELETE", path, params={"ignore": 404})


def test_template_policy_and_mapped_documents_round_trip(prepared: tuple[Any, Config]) -> None:
    client, config = prepared
    prefix = config["shipping"]["opensearch"]["index_prefix"]
    assert prepare(client, config).endswith(f"ISM policy {policy_id(prefix)} created")
    assert "unchanged; ISM policy" in prepare(client, config)

    lines, documents = ecs_lines(), ecs_documents()
    indexer = BulkIndexer(client, prefix)
    first = indexer.index_lines(lines)
    assert (first.indexed, first.rejected, first.invalid) == (len(lines), 0, 0), first.reasons
    assert indexer.index_lines(lines).indexed == len(lines)  # again, with the same ids
    client.indices.refresh(index=f"{prefix}-*")
    assert client.count(index=f"{prefix}-*")["count"] == len(lines), "no duplicates"

    with_ip = next(d for d in documents if "ip" in d.get("source", {}))
    index = index_name(prefix, with_ip["@timestamp"])
    mapping = client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert mapping["source"]["properties"]["ip"]["type"] == "ip"
    assert mapping["@timestamp"]["type"] == "date"
    hits = client.search(
        index=f"{prefix}-*",
        body={"query": {"term": {"source.ip": with_ip["source"]["ip"]}}, "size": 1000},
    )["hits"]["hits"]
    assert with_ip["ids2"]["doc_id"] in {hit["_id"] for hit in hits}
    in_subnet = client.count(
        index=f"{prefix}-*", body={"query": {"term": {"source.ip": "0.0.0.0/0"}}}
    )["count"]
    assert in_subnet > 0, "source.ip is searchable as an address, CIDR included"

    canary = next(d for d in documents if d["event"]["dataset"] == "ids2.canary")
    found = client.search(
        index=f"{prefix}-*",
        body={"query": {"term": {"ids2.canary_id": canary["ids2"]["canary_id"]}}},
    )["hits"]["hits"]
    assert [hit["_id"] for hit in found] == [canary["ids2"]["doc_id"]]
    canary_id = canary["ids2"]["canary_id"]
    sink = OpenSearchSink(make_http_client(config, timeout=30), prefix, budget=30)
    assert sink.arrived({canary_id, "never-sent"}) == {canary_id}, "the verify controller's search"
    explained = client.transport.perform_request("GET", f"/_plugins/_ism/explain/{index}")[index]
    managed_by = explained.get("policy_id") or explained.get(
        "index.plugins.index_state_management.policy_id"
    )
    assert managed_by == policy_id(prefix), "new daily indices follow the retention policy"


def test_connectivity_round_passes(tmp_path: Path) -> None:
    """DNS, TCP, TLS and the bulk probe (through the controllers' own client) all pass."""
    checks = probe_round(real_config(tmp_path, f"ids2-test-{uuid.uuid4().hex[:8]}"), budget=30)
    assert {name: check.error for name, check in checks.items()} == dict.fromkeys(checks)
