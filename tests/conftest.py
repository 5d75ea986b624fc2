"""The real OpenSearch nodes that the `opensearch` suite runs against, each one per session.

`opensearch_node` is the pinned version without security (plain HTTP). `secure_node` is
OpenSearch 2.19.4 with the security plugin 2.19.4.0 (the newest Maven Central serves): TLS
with a certificate from the session's test CA and basic auth for one generated user. It
starts only when a test asks for it, so a run that needs neither starts no JVM.
A test that asks for either (or for `opensearch`, `secure_opensearch`) is marked
`opensearch` here, so it never runs in the fast suites; one of another slow suite (engine)
stays in that suite only. A node that cannot be fetched or started fails those tests with
one line saying why: never a skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.opensearch.front import TEST_CREDENTIALS, NodeFront
from tests.opensearch.node import VERSION, NodeError, OpenSearchNode, fetch, java_home
from tests.opensearch.security import PLUGIN, NodeSecurity
from tests.opensearch.security import VERSION as SECURE_VERSION
from tests.opensearch.target import NodeTarget

NODE_FIXTURES = {"opensearch_node", "opensearch", "secure_node", "secure_opensearch"}
_started: list[tuple[str, OpenSearchNode]] = []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        elsewhere = {"capture", "engine", "system"} & {mark.name for mark in item.iter_markers()}
        uses_node = NODE_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses_node and not elsewhere:
            item.add_marker(pytest.mark.opensearch)


def _session_node(
    name: str, version: str, plugins: tuple[str, ...] = (), security: NodeSecurity | None = None
) -> Iterator[OpenSearchNode]:
    problem = ""
    try:
        # The secure node's version is fixed by its plugin, whatever IDS2_OPENSEARCH_VERSION
        # says, so it keeps the default JDK (2.19 does not start on Java 25).
        java = java_home(pinned=security is not None)
        node = OpenSearchNode(fetch(version, *plugins, java=java), security=security, java=java)
        node.start()
    except NodeError as error:
        problem = str(error)
    if problem:  # failed outside the except block, so the report has only this line
        pytest.fail(f"{name}: {problem}", pytrace=False)
    _started.append((name, node))
    yield node
    node.remove()


@pytest.fixture(scope="session")
def opensearch_node() -> Iterator[OpenSearchNode]:
    """The session's plain node, started on first use and removed at the end."""
    yield from _session_node(f"OpenSearch {VERSION}", VERSION)


@pytest.fixture(scope="session")
def secure_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSearchNode]:
    """The session's node with the security plugin, started on first use; its `security`
    (CA, user, password) is what a test needs to reach it."""
    security = NodeSecurity(tmp_path_factory.mktemp("secure-node"))
    name = f"OpenSearch {SECURE_VERSION} with {PLUGIN}"
    yield from _session_node(name, SECURE_VERSION, (PLUGIN,), security)


@pytest.fixture
def opensearch(opensearch_node: OpenSearchNode) -> Iterator[NodeTarget]:
    """The plain node for one test, cleared of ids2's indices and templates afterwards."""
    target = NodeTarget(opensearch_node.url)
    yield target
    target.clear()


@pytest.fixture
def secure_opensearch(secure_node: OpenSearchNode) -> Iterator[NodeTarget]:
    """The secure node for one test, as its user, cleared afterwards."""
    target = NodeTarget(secure_node.url, secure_node.security)
    yield target
    target.clear()


@pytest.fixture
def opensearch_with_ism(
    opensearch: NodeTarget, opensearch_node: OpenSearchNode
) -> Iterator[NodeTarget]:
    """The node behind the test proxy whose ISM endpoints the test double answers, for code
    that installs the ISM policy: the ISM plugin is not published on Maven Central."""
    with NodeFront(opensearch_node.url) as front:
        yield NodeTarget(front.url)


def _fronts(node_url: str, **fixed: object) -> Iterator[Callable[..., NodeFront]]:
    with ExitStack() as fronts:
        yield lambda **options: fronts.enter_context(NodeFront(node_url, **fixed, **options))


@pytest.fixture
def node_front(
    opensearch: NodeTarget, opensearch_node: OpenSearchNode
) -> Iterator[Callable[..., NodeFront]]:
    """`node_front(tls=..., auth=..., ...)`: a started NodeFront (the double in front of the
    plain node: SigV4, faults, ISM, a record of requests), stopped after the test."""
    yield from _fronts(opensearch_node.url)


@pytest.fixture
def secure_front(
    secure_opensearch: NodeTarget, secure_node: OpenSearchNode
) -> Iterator[Callable[..., NodeFront]]:
    """`secure_front(tls=...)`: a NodeFront before the secure node, for code that installs
    the ISM policy there; the node itself checks the credentials the client sends."""
    assert secure_node.security is not None
    yield from _fronts(secure_node.url, node_context=secure_node.security.client_context())


@pytest.fixture
def aws_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SigV4 test credentials in the environment, where boto3's chain finds them first."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIALS.secret_key)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, node in _started:
        terminalreporter.write_line(
            f"{name} node on {node.url}: healthy {node.start_seconds:.1f} s after its start"
        )
