"""Deploy phase C imports the saved objects into OpenSearch Dashboards: the request is the
one Dashboards expects (checked by a double of Dashboards), signed for AWS or with basic
auth, the same on every deploy, and a Dashboards that cannot be reached is a warning that
lets the deploy go on."""

from __future__ import annotations

import io
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ids2.config.load import Config
from ids2.deploy import phases
from ids2.deploy.phases import DeployContext, deploy_phases
from ids2.deploy.runner import DeployReport, run_phases
from ids2.shipping.opensearch.dashboards import saved_objects
from tests.doubles.dashboards_double import DashboardsTestDouble, form_fields
from tests.integration.shipping.conftest import shipping_config
from tests.opensearch.front import TEST_CREDENTIALS, TEST_REGION, NodeFront
from tests.opensearch.node import OpenSearchNode
from tests.opensearch.target import NodeTarget
from tests.support.ports import free_port
from tests.support.tls_certs import make_ca, server_context

pytestmark = pytest.mark.opensearch
OBJECTS = len(saved_objects("ids2-logs").splitlines())


@pytest.fixture
def aws_domain(
    tmp_path: Path,
    aws_test_credentials: None,
    opensearch: object,
    opensearch_node: OpenSearchNode,
) -> Iterator[tuple[Config, DashboardsTestDouble]]:
    """An AWS domain: the real node behind a double that adds Dashboards under /_dashboards
    and requires SigV4 over TLS, and a config that leaves dashboards_url to be derived."""
    ca = make_ca(tmp_path)
    tls = server_context(ca, tmp_path, "localhost", 30)
    with DashboardsTestDouble(opensearch_node.url, "/_dashboards", auth="aws", tls=tls) as d:
        settings = {"auth": "aws", "aws_region": TEST_REGION, "ca_bundle": str(ca.bundle)}
        yield shipping_config(opensearch={"endpoint": d.url, **settings}), d


def phase_c(config: Config, *later: str) -> tuple[DeployReport, str]:
    context = DeployContext(config)
    steps = [p for p in deploy_phases(context) if p.letter in ("C", *later)]
    out = io.StringIO()
    return run_phases(steps, out=out), out.getvalue()


def test_aws_import_is_signed_under_dashboards_and_exactly_as_expected(
    aws_domain: tuple[Config, DashboardsTestDouble],
) -> None:
    config, double = aws_domain
    report, out = phase_c(config)
    assert report.ok and not report.results[0].warning, out
    assert f"{OBJECTS} saved objects imported into Dashboards at {double.url}/_dashboards" in out
    [request] = double.imports()
    assert request.method == "POST"
    assert request.path == "/_dashboards/api/saved_objects/_import?overwrite=true"
    assert request.headers["osd-xsrf"] == "true"
    assert request.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={TEST_CREDENTIALS.access_key}/"
    )
    assert f"/{TEST_REGION}/es/aws4_request" in request.headers["authorization"]
    upload = form_fields(request.headers["content-type"], request.body)["file"]
    assert upload.get_filename() == "ids2-alerts.ndjson"
    assert upload.get_payload(decode=True) == saved_objects("ids2-logs")
    assert len(double.saved) == OBJECTS


def test_a_second_deploy_sends_the_same_request_and_replaces(
    aws_domain: tuple[Config, DashboardsTestDouble],
) -> None:
    config, double = aws_domain
    first, _ = phase_c(config)
    second, out = phase_c(config)
    assert first.ok and second.ok and not second.results[0].warning, out
    one, two = double.imports()
    assert (one.path, one.body) == (two.path, two.body)
    unsigned = {"authorization", "x-amz-date"}
    assert {k: v for k, v in one.headers.items() if k not in unsigned} == {
        k: v for k, v in two.headers.items() if k not in unsigned
    }
    assert len(double.saved) == OBJECTS


def test_a_wrong_signature_is_a_warning_saying_dashboards_refused(
    aws_domain: tuple[Config, DashboardsTestDouble], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, double = aws_domain
    monkeypatch.setattr(double, "region", "us-east-1")
    import_only = phases.import_dashboards(DeployContext(config))
    assert isinstance(import_only, phases.Warned)
    assert "refused the import: 403" in import_only.detail
    assert "scoped to a valid region" in import_only.detail


@pytest.fixture
def secure(
    tmp_path: Path, secure_opensearch: NodeTarget, secure_front: Callable[..., NodeFront]
) -> tuple[NodeTarget, ssl.SSLContext, NodeFront]:
    """The secure node (which checks the password itself) behind a front that only answers
    ISM, the plugin Maven Central lacks; a server context from the node's CA for the
    doubles; the front."""
    assert secure_opensearch.security is not None
    context = server_context(secure_opensearch.security.ca, tmp_path, "localhost", 30)
    return secure_opensearch, context, secure_front(tls=context)


def test_self_hosted_basic_auth_import_into_the_configured_url(
    tmp_path: Path, secure: tuple[NodeTarget, ssl.SSLContext, NodeFront]
) -> None:
    node, context, search = secure
    assert node.security is not None
    password = node.security.password
    with DashboardsTestDouble(tls=context, password=password) as dashboards:
        config = node.secure_config(
            tmp_path, endpoint=search.url, dashboards_url=dashboards.dashboards_url
        )
        report, out = phase_c(config)
        assert report.ok and not report.results[0].warning, out
        [request] = dashboards.imports()
        assert request.path == "/api/saved_objects/_import?overwrite=true"
        assert request.headers["authorization"].startswith("Basic ")
        assert len(dashboards.saved) == OBJECTS


def test_self_hosted_without_a_dashboards_url_skips_with_a_note(
    tmp_path: Path, secure: tuple[NodeTarget, ssl.SSLContext, NodeFront]
) -> None:
    node, _context, search = secure
    report, out = phase_c(node.secure_config(tmp_path, endpoint=search.url))
    assert report.ok and not report.results[0].warning, out
    assert "no OpenSearch Dashboards to import into (shipping.opensearch.dashboards_url)" in out


def test_unreachable_dashboards_warns_and_the_deploy_goes_on(
    tmp_path: Path,
    secure: tuple[NodeTarget, ssl.SSLContext, NodeFront],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(phases, "stack_up", lambda context: "stack up")
    node, _context, search = secure
    nowhere = f"https://localhost:{free_port()}"
    config = node.secure_config(tmp_path, endpoint=search.url, dashboards_url=nowhere)
    report, out = phase_c(config, "D")
    assert [(r.letter, r.ok, r.warning) for r in report.results] == [
        ("C", True, True),
        ("D", True, False),
    ], out
    assert "C wait for connectivity, prepare OpenSearch: WARNING" in out
    assert f"cannot reach OpenSearch Dashboards at {nowhere}" in out
    assert "index template ids2-logs created" in out, "the template is installed all the same"
    assert "the next deploy tries again, or import" in out
