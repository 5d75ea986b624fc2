"""The template, bulk indexing, the canary search and the connectivity probe against the
real nodes (tests/opensearch/node.py): TLS with our CA bundle and basic auth against the
secure node's security plugin. The ISM plugin is not published on Maven Central: its calls
are answered by the ISM double in the front (tests/opensearch/front.py), the rest by the node.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ids2.connectivity.round import probe_round
from ids2.shipping.bulk import BulkIndexer, index_name
from ids2.shipping.canary_sinks import OpenSearchSink
from ids2.shipping.opensearch.client import make_client
from ids2.shipping.opensearch.http import make_http_client
from ids2.shipping.opensearch.setup import (
    OpenSearchSetupError,
    index_template,
    policy_id,
    prepare,
    template_name,
)
from tests.integration.shipping.ecs_documents import ecs_documents, ecs_lines
from tests.opensearch.security import READER
from tests.opensearch.target import NodeTarget

pytestmark = pytest.mark.integration
PREFIX = "ids2-logs"


def test_template_and_policy_installed_once(
    opensearch: NodeTarget, opensearch_with_ism: NodeTarget
) -> None:
    config = opensearch_with_ism.config()
    client = make_client(config, timeout=30)
    first = prepare(client, config)
    assert first == f"index template {PREFIX} created; ISM policy {policy_id(PREFIX)} created"
    second = prepare(client, config)
    assert second == f"index template {PREFIX} unchanged; ISM policy {policy_id(PREFIX)} unchanged"
    stored = opensearch.client().transport.perform_request(
        "GET", f"/_index_template/{template_name(PREFIX)}"
    )["index_templates"][0]["index_template"]
    wanted = index_template(PREFIX)
    assert stored["_meta"] == wanted["_meta"], "the node keeps the digest the next run compares"
    assert stored["template"]["mappings"] == wanted["template"]["mappings"]


def test_bulk_with_ids_never_duplicates_and_fields_have_their_types(
    opensearch: NodeTarget, opensearch_with_ism: NodeTarget
) -> None:
    config = opensearch_with_ism.config()
    client = make_client(config, timeout=30)
    prepare(client, config)
    lines, documents = ecs_lines(), ecs_documents()
    indexer = BulkIndexer(client, PREFIX)
    first = indexer.index_lines(lines)
    assert (first.indexed, first.rejected, first.invalid) == (len(lines), 0, 0), first.reasons
    assert indexer.index_lines(lines).indexed == len(lines)  # again, with the same ids
    assert sum(opensearch.counts().values()) == len(lines), "a replay replaces, never adds"

    with_ip = next(d for d in documents if "ip" in d.get("source", {}))
    index = index_name(PREFIX, with_ip["@timestamp"])
    node = opensearch.client()
    mapping = node.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert mapping["source"]["properties"]["ip"]["type"] == "ip"
    assert mapping["@timestamp"]["type"] == "date"
    settings = node.indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["auto_expand_replicas"] == "0-1", "replicas follow the cluster"
    assert node.cluster.health(index=f"{PREFIX}-*")["status"] == "green", "one node stays green"
    hits = node.search(
        index=f"{PREFIX}-*",
        body={"query": {"term": {"source.ip": with_ip["source"]["ip"]}}, "size": 1000},
    )["hits"]["hits"]
    assert with_ip["ids2"]["doc_id"] in {hit["_id"] for hit in hits}


def test_the_canary_is_written_and_found(
    opensearch: NodeTarget, opensearch_with_ism: NodeTarget
) -> None:
    """Only with the template: dynamic mapping makes ids2.canary_id text, which a term
    query on the id never matches."""
    config = opensearch_with_ism.config()
    prepare(make_client(config, timeout=30), config)
    canary = next(d for d in ecs_documents() if d["event"]["dataset"] == "ids2.canary")
    canary_id = canary["ids2"]["canary_id"]
    line = next(line for line in ecs_lines() if canary_id.encode() in line)
    assert BulkIndexer(make_client(config, timeout=30), PREFIX).index_lines([line]).indexed == 1
    opensearch.counts()
    sink = OpenSearchSink(make_http_client(config, timeout=30), PREFIX, budget=30)
    assert sink.arrived({canary_id, "never-sent"}) == {canary_id}, "the verify controller's search"


def test_connectivity_round_passes_with_tls_and_basic_auth(
    tmp_path: Path, secure_opensearch: NodeTarget
) -> None:
    """DNS, TCP, TLS with our CA bundle and the bulk probe, through the controllers' client."""
    checks = probe_round(secure_opensearch.secure_config(tmp_path), budget=30)
    assert {name: check.error for name, check in checks.items()} == dict.fromkeys(checks)
    assert {"tls", "opensearch"} <= set(checks)


def test_a_wrong_password_is_refused(tmp_path: Path, secure_opensearch: NodeTarget) -> None:
    checks = probe_round(secure_opensearch.secure_config(tmp_path, "wrong-password"), budget=30)
    assert "401" in str(checks["opensearch"].error)
    assert checks["tls"].ok, "TLS with our CA bundle passed before the password was refused"


def test_an_untrusted_certificate_is_refused(tmp_path: Path, secure_opensearch: NodeTarget) -> None:
    checks = probe_round(secure_opensearch.secure_config(tmp_path, ca_bundle=""), budget=30)
    assert not checks["tls"].ok


def test_prepare_explains_the_security_plugins_refusals(
    tmp_path: Path, secure_opensearch: NodeTarget
) -> None:
    """The plugin's own 401, and its 403 for a user whose role (readall) may not write
    templates, read as what to fix."""
    assert secure_opensearch.security is not None
    wrong = secure_opensearch.secure_config(tmp_path, "wrong-password")
    with pytest.raises(OpenSearchSetupError, match="401 Unauthorized: check opensearch_username"):
        prepare(make_client(wrong, timeout=30), wrong)
    reader = secure_opensearch.secure_config(
        tmp_path, secure_opensearch.security.reader_password, READER
    )
    with pytest.raises(
        OpenSearchSetupError,
        match=f"fine-grained access control refuses {READER} the permission "
        "indices:admin/index_template/",
    ):
        prepare(make_client(reader, timeout=30), reader)
