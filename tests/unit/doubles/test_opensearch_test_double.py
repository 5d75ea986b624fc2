"""The OpenSearch test double, driven by the real opensearch-py client, as ids2's code drives it."""

from __future__ import annotations

import gzip
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from opensearchpy import (
    OpenSearch,
    RequestsAWSV4SignerAuth,
    RequestsHttpConnection,
    Urllib3AWSV4SignerAuth,
    Urllib3HttpConnection,
    helpers,
)
from opensearchpy.exceptions import (
    AuthenticationException,
    AuthorizationException,
    ConflictError,
    ConnectionTimeout,
    NotFoundError,
    RequestError,
    TransportError,
)

from tests.doubles.opensearch_test_double import (
    TEST_CREDENTIALS,
    TEST_REGION,
    OpenSearchTestDouble,
)
from tests.support.tls_certs import make_ca, server_context

DAY_ONE, DAY_TWO = "ids2-logs-2026.11.24", "ids2-logs-2026.11.25"
POLICY = {"policy": {"description": "delete after 30 days", "default_state": "hot", "states": []}}


@pytest.fixture
def double() -> Iterator[OpenSearchTestDouble]:
    with OpenSearchTestDouble() as server:
        yield server


def client_for(double: OpenSearchTestDouble, **options: Any) -> OpenSearch:
    return OpenSearch(hosts=[double.url], **{"max_retries": 0, "timeout": 2, **options})


def ndjson(*lines: dict[str, Any]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


def event(index: str, doc_id: str, kind: str, stamp: str, canary: str = "") -> list[Any]:
    source = {"@timestamp": stamp, "event": {"kind": kind}, "ids2": {"canary_id": canary}}
    return [{"index": {"_index": index, "_id": doc_id}}, source]


def seed(client: OpenSearch) -> None:
    lines = (
        event(DAY_ONE, "a", "alert", "2026-11-24T10:00:00Z", "canary-1")
        + event(DAY_ONE, "b", "event", "2026-11-24T11:00:00Z")
        + event(DAY_TWO, "c", "alert", "2026-11-25T09:00:00Z", "canary-2")
        + event("other-index", "d", "alert", "2026-11-25T12:00:00Z")
    )
    assert client.bulk(body=ndjson(*lines))["errors"] is False


def items(response: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(action, status, result or error type) of each bulk item."""
    found = []
    for item in response["items"]:
        ((action, result),) = item.items()
        found.append((action, result["status"], result.get("result") or result["error"]["type"]))
    return found


def test_cluster_info_and_health(double: OpenSearchTestDouble) -> None:
    client = client_for(double)
    assert client.info()["version"]["distribution"] == "opensearch"
    assert client.cluster.health()["status"] == "green"
    client.index(index=DAY_ONE, id="x", body={"a": 1})
    double.store.health_status = "yellow"
    health = client.cluster.health()
    assert (health["status"], health["unassigned_shards"]) == ("yellow", 1)


def test_bulk_answers_each_item_and_keeps_one_document_per_id(
    double: OpenSearchTestDouble,
) -> None:
    double.store.reject_document = lambda source: (
        "failed to parse field [source.ip] of type [ip]" if source.get("bad") else None
    )
    client = client_for(double)
    body = ndjson(
        {"index": {"_id": "a"}},
        {"n": 1},
        {"index": {"_id": "a"}},
        {"n": 2},
        {"create": {"_id": "a"}},
        {"n": 3},
        {"index": {"_id": "b"}},
        {"bad": True},
        {"delete": {"_id": "missing"}},
        {"create": {"_index": DAY_TWO}},
        {"n": 4},
    )
    response = client.bulk(body=body, index=DAY_ONE)
    assert response["errors"] is True and isinstance(response["took"], int)
    assert items(response) == [
        ("index", 201, "created"),
        ("index", 200, "updated"),
        ("create", 409, "version_conflict_engine_exception"),
        ("index", 400, "mapper_parsing_exception"),
        ("delete", 404, "not_found"),
        ("create", 201, "created"),
    ]
    updated = response["items"][1]["index"]
    assert (updated["_version"], updated["_primary_term"]) == (2, 1)
    refused = response["items"][3]["index"]["error"]
    assert refused["reason"].startswith("failed to parse field [source.ip]")
    assert double.store.indices[DAY_ONE] == {"a": {"n": 2}}
    assert list(double.store.indices[DAY_TWO].values()) == [{"n": 4}]


@pytest.mark.parametrize(
    "body",
    [
        b'{"index": {}}\n{"n": 1}\n',
        b'{"index": {"_index": "x"}}\n{"n": 1}',
        b'{"index": {"_index": "x"}}\n{"n": 1}\n{"update": {"_index": "x", "_id": "1"}}\n{}\n',
        b"not json\n",
    ],
    ids=["no index", "no final newline", "update action", "malformed"],
)
def test_a_malformed_bulk_is_refused_whole(double: OpenSearchTestDouble, body: bytes) -> None:
    with pytest.raises(RequestError):
        client_for(double).transport.perform_request("POST", "/_bulk", body=body)
    assert double.store.indices == {}


def test_a_whole_request_429_is_retried_by_the_client(double: OpenSearchTestDouble) -> None:
    double.fail_next(429, path="_bulk")
    with pytest.raises(TransportError) as refused:
        client_for(double).bulk(body=ndjson(*event(DAY_ONE, "a", "alert", "t")))
    assert refused.value.status_code == 429
    assert refused.value.error == "es_rejected_execution_exception"
    double.fail_next(429, path="_bulk")
    client = client_for(double, retry_on_status=(429,), max_retries=1)
    assert client.bulk(body=ndjson(*event(DAY_ONE, "a", "alert", "t")))["errors"] is False
    assert [r.path for r in double.requests] == ["/_bulk"] * 3
    assert list(double.store.indices[DAY_ONE]) == ["a"]


def test_items_refused_with_429_are_retried_by_the_bulk_helper(
    double: OpenSearchTestDouble,
) -> None:
    double.fail_next_items(2)
    actions = [{"_index": DAY_ONE, "_id": str(n), "n": n} for n in range(5)]
    # raise_on_error=False: with it on, the helper raises before it can retry the 429s.
    indexed, errors = helpers.bulk(
        client_for(double), actions, max_retries=2, initial_backoff=0, raise_on_error=False
    )
    assert (indexed, errors) == (5, [])
    sent = [r.payload.count(b"\n") // 2 for r in double.requests]
    assert sent == [5, 2], "all five, then only the two refused"
    assert sorted(double.store.indices[DAY_ONE]) == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthenticationException),
        (403, AuthorizationException),
        (500, TransportError),
        (503, TransportError),
    ],
)
def test_faults_answer_only_the_requests_they_name(
    double: OpenSearchTestDouble, status: int, error: type[Exception]
) -> None:
    client = client_for(double)
    double.fail_next(status, count=2, path="_bulk")
    assert client.info()["cluster_name"]
    for _ in range(2):
        with pytest.raises(error) as refused:
            client.bulk(body=ndjson(*event(DAY_ONE, "a", "alert", "t")))
        assert getattr(refused.value, "status_code", None) == status
    assert client.bulk(body=ndjson(*event(DAY_ONE, "a", "alert", "t")))["errors"] is False


def test_a_held_request_times_the_client_out(double: OpenSearchTestDouble) -> None:
    double.hang_next(10.0)
    client = client_for(double, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(ConnectionTimeout):
        client.info()
    assert time.monotonic() - started < 1.0
    assert client.info()["cluster_name"], "only the next request is held"


def test_index_templates(double: OpenSearchTestDouble) -> None:
    client = client_for(double)
    template = {
        "index_patterns": ["ids2-logs-*"],
        "template": {"settings": {"number_of_shards": 1}},
    }
    assert client.indices.exists_index_template(name="ids2-logs") is False
    assert client.indices.put_index_template(name="ids2-logs", body=template)["acknowledged"]
    assert client.indices.exists_index_template(name="ids2-logs") is True
    assert client.indices.get_index_template(name="ids2-logs") == {
        "index_templates": [{"name": "ids2-logs", "index_template": template}]
    }
    assert client.indices.delete_index_template(name="ids2-logs")["acknowledged"]
    with pytest.raises(NotFoundError) as missing:
        client.indices.get_index_template(name="ids2-logs")
    assert missing.value.error == "resource_not_found_exception"


def test_ism_attaches_a_policy_to_the_indices_that_exist(double: OpenSearchTestDouble) -> None:
    client = client_for(double)
    client.plugins.index_management.put_policy(policy="retention", body=POLICY)
    attach = {"policy_id": "retention"}
    with pytest.raises(NotFoundError):
        client.transport.perform_request("POST", "/_plugins/_ism/add/logs-*", body=attach)
    client.indices.create(index="logs-1")
    client.indices.create(index="logs-2")
    answer = client.transport.perform_request("POST", "/_plugins/_ism/add/logs-*", body=attach)
    assert answer == {"updated_indices": 2, "failures": False, "failed_indices": []}
    assert double.store.managed == {"logs-1": "retention", "logs-2": "retention"}


def test_ism_policy_updates_need_the_current_seq_no(double: OpenSearchTestDouble) -> None:
    ism = client_for(double).plugins.index_management
    created = ism.put_policy(policy="retention", body=POLICY)
    assert created["_version"] == 1 and created["policy"] == POLICY
    with pytest.raises(ConflictError):
        ism.put_policy(policy="retention", body=POLICY)
    current = ism.get_policy(policy="retention")
    assert current["policy"] == POLICY["policy"]
    guard = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
    replaced = ism.put_policy(policy="retention", body=POLICY, params=guard)
    assert replaced["_version"] == 2 and replaced["_seq_no"] > current["_seq_no"]
    with pytest.raises(ConflictError) as stale:
        ism.put_policy(policy="retention", body=POLICY, params=guard)
    assert "current document has seqNo" in str(stale.value.info)
    assert ism.delete_policy(policy="retention")["result"] == "deleted"
    for call in (ism.get_policy, ism.delete_policy):
        with pytest.raises(NotFoundError):
            call(policy="retention")
    with pytest.raises(ConflictError):
        ism.put_policy(policy="retention", body=POLICY, params=guard)


def test_count_and_search_over_a_pattern(double: OpenSearchTestDouble) -> None:
    client = client_for(double)
    seed(client)
    pattern = "ids2-logs-*"
    assert client.count(index=pattern)["count"] == 3
    assert client.count(index="*,-other-*")["count"] == 3
    kind = {"query": {"term": {"event.kind": "alert"}}}
    assert client.count(index=pattern, body=kind)["count"] == 2
    canaries = {"query": {"terms": {"ids2.canary_id": ["canary-2", "canary-9"]}}}
    assert [h["_id"] for h in client.search(index=pattern, body=canaries)["hits"]["hits"]] == ["c"]
    by_id = {"query": {"ids": {"values": ["a", "d"]}}}
    assert [h["_id"] for h in client.search(index=pattern, body=by_id)["hits"]["hits"]] == ["a"]
    newest = client.search(
        index=pattern,
        body={
            "query": {"match": {"event.kind": "alert"}},
            "sort": [{"@timestamp": {"order": "desc"}}],
            "size": 1,
            "_source": ["ids2.canary_id"],
        },
    )["hits"]
    assert newest["total"] == {"value": 2, "relation": "eq"}
    assert newest["hits"][0]["_source"] == {"ids2": {"canary_id": "canary-2"}}
    assert client.search(index="ids2-none-*")["hits"]["hits"] == []
    with pytest.raises(NotFoundError):
        client.search(index="ids2-logs-2030.01.01")
    quiet = client.search(index="ids2-logs-2030.01.01", params={"ignore_unavailable": "true"})
    assert quiet["hits"]["total"]["value"] == 0


def test_documents_and_indices(double: OpenSearchTestDouble) -> None:
    client = client_for(double)
    seed(client)
    assert client.get(index=DAY_ONE, id="a")["_source"]["ids2"]["canary_id"] == "canary-1"
    assert client.indices.refresh(index=DAY_ONE)["_shards"]["failed"] == 0
    assert client.delete(index=DAY_ONE, id="a")["result"] == "deleted"
    with pytest.raises(NotFoundError):
        client.get(index=DAY_ONE, id="a")
    assert client.indices.delete(index=DAY_ONE)["acknowledged"]
    assert client.indices.exists(index=DAY_ONE) is False
    with pytest.raises(NotFoundError) as missing:
        client.get(index=DAY_ONE, id="b")
    assert missing.value.error == "index_not_found_exception"


def test_gzip_bodies(double: OpenSearchTestDouble) -> None:
    client = client_for(double, http_compress=True)
    assert client.bulk(body=ndjson(*event(DAY_ONE, "a", "alert", "t")))["errors"] is False
    (sent,) = double.requests
    assert sent.headers["content-encoding"] == "gzip" and sent.body[:2] == b"\x1f\x8b"
    assert sent.payload == gzip.decompress(sent.body) and b'"_id": "a"' in sent.payload
    assert list(double.store.indices[DAY_ONE]) == ["a"]


@pytest.mark.parametrize(
    ("signer", "connection"),
    [
        (Urllib3AWSV4SignerAuth, Urllib3HttpConnection),
        (RequestsAWSV4SignerAuth, RequestsHttpConnection),
    ],
)
def test_sigv4_by_opensearch_py_is_checked(signer: Any, connection: Any) -> None:
    with OpenSearchTestDouble(auth="aws") as double:

        def signed(credentials: Credentials, region: str = TEST_REGION, **options: Any) -> Any:
            auth = signer(credentials, region, "es")
            return client_for(double, http_auth=auth, connection_class=connection, **options)

        good = signed(TEST_CREDENTIALS)
        assert good.info()["cluster_name"]
        body = ndjson(*event(DAY_ONE, "a", "alert", "t"))
        assert good.bulk(body=body, params={"refresh": "true"})["errors"] is False
        compressed = signed(TEST_CREDENTIALS, http_compress=True)
        assert compressed.count(index="ids2-*", body={"query": {"match_all": {}}})["count"] == 1
        wrong_secret = Credentials(TEST_CREDENTIALS.access_key, "not-the-secret")
        with pytest.raises(AuthorizationException, match="signature we calculated"):
            signed(wrong_secret).info()
        with pytest.raises(AuthorizationException, match=r"valid region, not .+us-east-1"):
            signed(TEST_CREDENTIALS, "us-east-1").info()
        with pytest.raises(AuthorizationException, match="anonymous is not authorized"):
            client_for(double).info()


def send(request: AWSRequest) -> tuple[int, dict[str, Any]]:
    prepared = urllib.request.Request(
        request.url, data=request.body or None, headers=dict(request.headers), method=request.method
    )
    try:
        with urllib.request.urlopen(prepared, timeout=2) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_sigv4_by_botocore_and_a_tampered_body() -> None:
    with OpenSearchTestDouble(auth="aws") as double:
        body = ndjson(*event(DAY_ONE, "a", "alert", "t")).encode()
        request = AWSRequest("POST", f"{double.url}/_bulk?refresh=true", data=body)
        request.headers["Content-Type"] = "application/json"
        SigV4Auth(TEST_CREDENTIALS, "es", TEST_REGION).add_auth(request)
        assert send(request)[0] == 200
        request.data = body.replace(b"alert", b"other")
        status, answer = send(request)
        assert status == 403 and "signature we calculated" in answer["message"]
        assert double.store.indices[DAY_ONE]["a"]["event"]["kind"] == "alert"


def test_basic_auth_over_tls_with_the_tests_certificate(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    tls = server_context(ca, tmp_path, "localhost", 30)
    with OpenSearchTestDouble(auth="basic", tls=tls) as double:
        assert double.url.startswith("https://localhost:")

        def client(password: str) -> OpenSearch:
            return client_for(
                double,
                http_auth=(double.username, password),
                use_ssl=True,
                verify_certs=True,
                ca_certs=str(ca.bundle),
            )

        assert client(double.password).cluster.health()["status"] == "green"
        with pytest.raises(AuthenticationException) as refused:
            client("wrong").info()
        assert refused.value.error == "Unauthorized"


def test_every_request_is_recorded_from_concurrent_clients(double: OpenSearchTestDouble) -> None:
    def write(worker: int) -> None:
        client = client_for(double)
        for n in range(10):
            client.index(index=DAY_ONE, id=f"{worker}-{n}", body={"worker": worker})

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(double.requests) == 60 and len(double.store.indices[DAY_ONE]) == 60
    first = double.requests[0]
    assert first.method == "PUT" and first.path.startswith(f"/{DAY_ONE}/_doc/")
    assert json.loads(first.body)["worker"] in range(6)
    assert first.headers["content-type"] == "application/json"
