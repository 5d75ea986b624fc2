"""Connectivity probes for real: DNS, TCP, verified TLS, and the real OpenSearch node behind
the front that adds TLS, basic auth, SigV4 and faults (tests/opensearch/front.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.connectivity.opensearch import PROBE_INDEX_PREFIX
from ids2.controllers.connectivity import ConnectivityController
from ids2.state import StateStore
from tests.opensearch.front import TEST_REGION, NodeFront
from tests.opensearch.target import NodeTarget
from tests.support.tls_certs import CertificateAuthority, make_ca, server_context

pytestmark = pytest.mark.integration
MACHINE = Machine(4, 8192, frozenset({"eth0"}))
Front = Callable[..., NodeFront]


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return make_ca(tmp_path)


def run_round(tmp_path: Path, endpoint: str, **opensearch: Any) -> dict[str, Any]:
    secrets = tmp_path / "secrets.yaml"
    if not secrets.exists():
        secrets.write_text("")
    document = {
        "shipping": {
            "opensearch": {"endpoint": endpoint, **opensearch},
            "secrets_file": str(secrets),
        },
        # 5 s: a busy test machine may take seconds to create the real node's probe index.
        "connectivity": {"timeout_seconds": 5, "backoff_initial_seconds": 1, "backoff_jitter": 0.0},
    }
    config = validate_document(document, "test", MACHINE)
    controller = ConnectivityController(config, StateStore(tmp_path / "run"))
    controller.step()
    state = StateStore(tmp_path / "run").read("connectivity")
    assert state is not None
    return state.data


def test_healthy_endpoint_over_verified_tls(
    tmp_path: Path, ca: CertificateAuthority, node_front: Front, opensearch: NodeTarget
) -> None:
    front = node_front(tls=server_context(ca, tmp_path, "localhost", 30))
    state = run_round(tmp_path, front.url, ca_bundle=str(ca.bundle))
    assert state["healthy"] is True, state
    checks = state["checks"]
    assert set(checks) == {"dns", "tcp", "tls", "opensearch"}
    assert 29 < checks["tls"]["days_until_expiry"] <= 30
    assert checks["opensearch"]["cluster_status"] in ("green", "yellow")
    methods = [(r.method, r.path.split("?")[0]) for r in front.requests]
    assert ("POST", "/_bulk") in methods
    assert methods[-1][0] == "DELETE", "the probe index must be deleted again"
    assert opensearch.counts(f"{PROBE_INDEX_PREFIX}-*") == {}, "none left on the node"


@pytest.mark.parametrize(
    ("hostname", "valid_days", "reason"),
    [
        ("localhost", -1, "certificate has expired"),
        ("other.example", 30, "Hostname mismatch"),
    ],
)
def test_bad_certificates_are_refused(
    tmp_path: Path,
    ca: CertificateAuthority,
    node_front: Front,
    hostname: str,
    valid_days: float,
    reason: str,
) -> None:
    front = node_front(tls=server_context(ca, tmp_path, hostname, valid_days))
    state = run_round(tmp_path, front.url, ca_bundle=str(ca.bundle))
    assert state["healthy"] is False
    assert reason in state["checks"]["tls"]["error"]
    assert state["checks"]["opensearch"]["status"] == "skipped"
    assert front.requests == []


def test_untrusted_ca_is_refused(
    tmp_path: Path, ca: CertificateAuthority, node_front: Front
) -> None:
    front = node_front(tls=server_context(ca, tmp_path, "localhost", 30))
    state = run_round(tmp_path, front.url)
    assert (
        "certificate verify failed" in state["checks"]["tls"]["error"]
        or "unable to get local issuer" in state["checks"]["tls"]["error"]
    )


@pytest.mark.parametrize(
    ("status", "delay", "reason"),
    [
        (401, 0.0, "401 Unauthorized"),
        (429, 0.0, "429 Too Many Requests"),
        (0, 6.0, "no answer within 5 s"),
    ],
)
def test_opensearch_faults(
    tmp_path: Path, node_front: Front, status: int, delay: float, reason: str
) -> None:
    """Faults the node does not make on demand, from the front (a double) before it."""
    front = node_front()
    front.fail_next(status, delay_seconds=delay)
    state = run_round(tmp_path, front.url)
    assert state["healthy"] is False
    assert reason in state["checks"]["opensearch"]["error"]
    assert state["consecutive_failures"] == 1 and state["next_probe_in_seconds"] == 1.0


def test_basic_auth_from_the_secrets_file(
    tmp_path: Path, ca: CertificateAuthority, node_front: Front
) -> None:
    password = secrets.token_urlsafe(12)
    context = server_context(ca, tmp_path, "localhost", 30)
    front = node_front(tls=context, auth="basic", password=password)
    (tmp_path / "secrets.yaml").write_text(
        f"opensearch_username: {front.username}\nopensearch_password: wrong\n"
    )
    refused = run_round(tmp_path, front.url, auth="basic", ca_bundle=str(ca.bundle))
    assert "401" in refused["checks"]["opensearch"]["error"]
    assert "wrong" not in str(refused)
    (tmp_path / "secrets.yaml").write_text(
        f"opensearch_username: {front.username}\nopensearch_password: {password}\n"
    )
    assert run_round(tmp_path, front.url, auth="basic", ca_bundle=str(ca.bundle))["healthy"]


def test_sigv4_signed_with_the_credential_chain(
    tmp_path: Path,
    ca: CertificateAuthority,
    aws_test_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    node_front: Front,
) -> None:
    """AWS's signature is checked by our verifier in the front: the node cannot."""
    front = node_front(tls=server_context(ca, tmp_path, "localhost", 30), auth="aws")
    ok = run_round(
        tmp_path, front.url, auth="aws", aws_region=TEST_REGION, ca_bundle=str(ca.bundle)
    )
    assert ok["healthy"] is True, ok
    assert front.requests[0].headers["authorization"].startswith("AWS4-HMAC-SHA256")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    refused = run_round(
        tmp_path, front.url, auth="aws", aws_region=TEST_REGION, ca_bundle=str(ca.bundle)
    )
    assert "403" in refused["checks"]["opensearch"]["error"]


def test_dns_failure_and_backoff_growth(tmp_path: Path) -> None:
    document = {
        "shipping": {"opensearch": {"endpoint": "https://no-such-host.invalid"}},
        "connectivity": {
            "timeout_seconds": 2,
            "backoff_initial_seconds": 1,
            "backoff_multiplier": 3,
            "backoff_jitter": 0.0,
        },
    }
    config = validate_document(document, "test", MACHINE)
    controller = ConnectivityController(config, StateStore(tmp_path))
    delays = []
    for _ in range(3):
        controller.step()
        delays.append(controller.interval())
    assert delays == [1.0, 3.0, 9.0]
    state = StateStore(tmp_path).read("connectivity")
    assert state is not None and "DNS lookup of no-such-host.invalid" in state.data["summary"]


def test_no_endpoint_means_the_local_spool(tmp_path: Path) -> None:
    state = run_round(tmp_path, "")
    assert state["healthy"] is True
    assert state["summary"].startswith("no OpenSearch configured: events go to the local spool")
