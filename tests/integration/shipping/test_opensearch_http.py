"""The controllers' OpenSearch client: keep-alive, a connection the server dropped while idle,
error reasons, bulk as NDJSON into the real node, basic auth over TLS checked by the secure
node, and SigV4 with a session token checked by the front before the plain node
(tests/opensearch/front.py, a double: only AWS checks SigV4)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable

import pytest
from botocore.credentials import Credentials

from ids2.shipping.opensearch.http import (
    OpenSearchHTTP,
    OpenSearchHTTPError,
    basic_signer,
    sigv4_signer,
)
from tests.opensearch.front import TEST_REGION, NodeFront
from tests.opensearch.target import NodeTarget

Front = Callable[..., NodeFront]

pytestmark = pytest.mark.integration
ANSWER = b'{"status": "green"}'


class ConnectionCountingServer:
    """Serves HTTP/1.1 keep-alive and counts connections. Each new connection behaves as
    the next of `behaviours` (the last one repeats): "answer" answers each request with
    ANSWER; "drop" answers once then closes silently, as a server does with a connection
    left idle past its keep-alive timeout; "hang" reads the request and never answers;
    "garble" answers with something that is not HTTP."""

    def __init__(self, *behaviours: str) -> None:
        self.behaviours = list(behaviours or ["answer"])
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            behaviour = self.behaviours[min(self.connections, len(self.behaviours) - 1)]
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection, behaviour), daemon=True).start()

    def _serve(self, connection: socket.socket, behaviour: str) -> None:
        with connection, connection.makefile("rb") as reader:
            while reader.readline():  # the request line; the requests here have no body
                while reader.readline() not in (b"\r\n", b""):
                    pass
                if behaviour == "hang":
                    reader.readline()  # until the client gives up and closes
                    return
                if behaviour == "garble":
                    connection.sendall(b"HELLO\r\n\r\n")
                    return
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
                )
                if behaviour == "drop":
                    return

    def close(self) -> None:
        self.listener.close()


def test_requests_share_one_kept_alive_connection() -> None:
    server = ConnectionCountingServer()
    client = OpenSearchHTTP(server.url, timeout=5)
    for _ in range(3):
        assert client.request("GET", "/_cluster/health") == {"status": "green"}
    assert server.connections == 1
    server.close()


def test_a_connection_dropped_while_idle_is_replaced_once() -> None:
    server = ConnectionCountingServer("drop")
    client = OpenSearchHTTP(server.url, timeout=5)
    assert client.request("GET", "/_cluster/health") == {"status": "green"}
    assert client.request("GET", "/_cluster/health") == {"status": "green"}
    assert server.connections == 2
    server.close()


def test_a_failed_retry_leaves_no_half_used_connection_behind() -> None:
    server = ConnectionCountingServer("drop", "hang", "answer")
    client = OpenSearchHTTP(server.url, timeout=0.5)
    assert client.request("GET", "/_cluster/health") == {"status": "green"}
    with pytest.raises(TimeoutError):
        client.request("GET", "/_cluster/health")  # the retry's connection hangs
    assert client.request("GET", "/_cluster/health") == {"status": "green"}
    assert server.connections == 3
    server.close()


def test_an_answer_that_is_not_http_is_an_os_error() -> None:
    """So the probe and the canary search report it like any unreachable endpoint."""
    server = ConnectionCountingServer("garble")
    with pytest.raises(ConnectionError, match="BadStatusLine"):
        OpenSearchHTTP(server.url, timeout=5).request("GET", "/_cluster/health")
    server.close()


def test_a_new_connection_closed_without_answer_is_an_error() -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    client = OpenSearchHTTP(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=5)
    with pytest.raises(ConnectionError):
        client.request("GET", "/_cluster/health")
    listener.close()


def test_bulk_goes_as_ndjson_and_search_finds_it(node_front: Front) -> None:
    front = node_front()
    client = OpenSearchHTTP(front.url, timeout=30)
    lines = [{"index": {"_index": "ids2-logs-2026.11.25", "_id": "a"}}, {"ids2": {"id": "a"}}]
    assert client.request("POST", "/_bulk", lines, {"refresh": "true"})["errors"] is False
    bulk = next(request for request in front.requests if request.path.startswith("/_bulk"))
    assert bulk.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in bulk.body.splitlines()] == lines
    found = client.request("POST", "/ids2-logs-*/_search", {"query": {"terms": {"ids2.id": ["a"]}}})
    assert [hit["_id"] for hit in found["hits"]["hits"]] == ["a"]


def test_error_status_carries_opensearchs_reason(node_front: Front) -> None:
    front = node_front()
    client = OpenSearchHTTP(front.url, timeout=30)
    with pytest.raises(OpenSearchHTTPError) as raised:
        client.request("GET", "/no-such-index/_doc/1")
    assert raised.value.status == 404
    assert str(raised.value).startswith("404 Not Found: index_not_found_exception")
    front.fail_next(429)  # the node refuses only under load: the front, a double, does it now
    with pytest.raises(OpenSearchHTTPError, match=r"^429 Too Many Requests: "):
        client.request("GET", "/_cluster/health")


def test_basic_auth_is_accepted_and_a_wrong_password_refused(
    secure_opensearch: NodeTarget,
) -> None:
    security = secure_opensearch.security
    assert security is not None
    context = security.client_context()

    def client(password: str) -> OpenSearchHTTP:
        sign = basic_signer(security.username, password)
        return OpenSearchHTTP(secure_opensearch.url, 30, context, sign)

    assert client(security.password).request("GET", "/_cluster/health")["status"] in (
        "green",
        "yellow",
    )
    with pytest.raises(OpenSearchHTTPError, match=r"^401 Unauthorized"):
        client("wrong").request("GET", "/_cluster/health")


def test_sigv4_with_a_session_token_signs_body_query_and_wildcard_path(node_front: Front) -> None:
    credentials = Credentials("AKIDIDS2SESSION", "session-secret", token="session-token")
    front = node_front(auth="aws", credentials=credentials)
    client = OpenSearchHTTP(front.url, 30, sign=sigv4_signer(credentials, TEST_REGION))
    found = client.request(
        "POST",
        "/ids2-logs-*/_search",
        {"query": {"terms": {"ids2.canary_id": ["x"]}}},
        {"ignore_unavailable": "true", "allow_no_indices": "true"},
    )
    assert found["hits"]["hits"] == []
    assert front.requests[-1].headers["x-amz-security-token"] == "session-token"
    wrong_region = OpenSearchHTTP(front.url, 30, sign=sigv4_signer(credentials, "us-east-1"))
    with pytest.raises(OpenSearchHTTPError, match=r"^403 Forbidden"):
        wrong_region.request("GET", "/_cluster/health")
