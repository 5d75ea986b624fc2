"""The real OpenSearch node that the `opensearch` suite runs against, one per session.

A test that asks for `opensearch_node` (or `opensearch`) is marked `opensearch` here, so it
never runs in the fast suites; one of another slow suite (engine) stays in that suite only.
A node that cannot be fetched or started fails those tests with one line saying why: never
a skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.opensearch.front import TEST_CREDENTIALS, NodeFront
from tests.opensearch.node import VERSION, NodeError, OpenSearchNode, fetch
from tests.opensearch.target import NodeTarget

_started: list[OpenSearchNode] = []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        elsewhere = {"capture", "engine", "system"} & {mark.name for mark in item.iter_markers()}
        uses_node = {"opensearch_node", "opensearch"} & set(getattr(item, "fixturenames", ()))
        if uses_node and not elsewhere:
            item.add_marker(pytest.mark.opensearch)


@pytest.fixture(scope="session")
def opensearch_node() -> Iterator[OpenSearchNode]:
    """The session's node, started on first use and removed at the end."""
    problem = ""
    try:
        node = OpenSearchNode(fetch())
        node.start()
    except NodeError as error:
        problem = str(error)
    if problem:  # failed outside the except block, so the report has only this line
        pytest.fail(f"OpenSearch {VERSION}: {problem}", pytrace=False)
    _started.append(node)
    yield node
    node.remove()


@pytest.fixture
def opensearch(opensearch_node: OpenSearchNode) -> Iterator[NodeTarget]:
    """The node for one test, cleared of ids2's indices and templates afterwards."""
    target = NodeTarget(opensearch_node.url)
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


@pytest.fixture
def node_front(
    opensearch: NodeTarget, opensearch_node: OpenSearchNode
) -> Iterator[Callable[..., NodeFront]]:
    """`node_front(tls=..., auth=..., ...)`: a started NodeFront (the double in front of the
    node: TLS, basic auth, SigV4, faults, ISM), stopped after the test."""
    with ExitStack() as fronts:
        yield lambda **options: fronts.enter_context(NodeFront(opensearch_node.url, **options))


@pytest.fixture
def aws_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SigV4 test credentials in the environment, where boto3's chain finds them first."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIALS.secret_key)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for node in _started:
        terminalreporter.write_line(
            f"OpenSearch {VERSION} node on {node.url}: "
            f"healthy {node.start_seconds:.1f} s after its start"
        )
