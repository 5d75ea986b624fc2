"""Connectivity probes for real: DNS, TCP, verified TLS and basic auth against the secure
OpenSearch node (its own certificate from our test CA, its security plugin's 401), and the
plain node behind the front (tests/opensearch/front.py, a double) for SigV4, an expired
certificate and faults on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ids2.config.load import Config, validate_document
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


def plain_config(tmp_path: Path, endpoint: str, **opensearch: Any) -> Config:
    """A config for `endpoint` with an empty secrets file."""
    secrets = tmp_path / "secrets.yaml"
    if not secrets.exists():
        secrets.write_text("")
    document = {
        "shipping": {
            "opensearch": {"endpoint": endpoint, **opensearch},
            "secrets_file": str(secrets),
        }
    }
    return validate_document(document, "test", MACHINE)


def run_round(tmp_path: Path, config: Config) -> dict[str, Any]:
    """One connectivity round with `config`'s shipping; the state it leaves."""
    # 5 s: a busy test machine may take seconds to create the real node's probe index.
    config["connectivity"].update(
        {"timeout_seconds": 5, "backoff_initial_seconds": 1, "backoff_jitter": 0.0}
    )
    controller = ConnectivityController(config, StateStore(tmp_path / "run"))
    controller.step()
    state = StateStore(tmp_path / "run").read("connectivity")
    assert state is not None
    return state.data


def test_healthy_endpoint_over_verified_tls(tmp_path: Path, secure_opensearch: NodeTarget) -> None:
    """The secure node's own certificate, verified through our CA bundle, and its real
    basic auth."""
    config = secure_opensearch.secure_config(tmp_path)
    state = run_round(tmp_path, config)
    assert state["healthy"] is True, state
    checks = state["checks"]
    assert set(checks) == {"dns", "tcp", "tls", "opensearch"}
    assert 29 < checks["tls"]["days_until_expiry"] <= 30
    assert checks["opensearch"]["cluster_status"] in ("green", "yellow")
    assert secure_opensearch.counts(f"{PROBE_INDEX_PREFIX}-*") == {}, "the probe index is gone"


def test_a_certificate_for_another_name_is_refused(
    tmp_path: Path, secure_opensearch: NodeTarget
) -> None:
    """The node's certificate names localhost only: reached as 127.0.0.1 it does not match."""
    endpoint = secure_opensearch.url.replace("localhost", "127.0.0.1")
    state = run_round(tmp_path, secure_opensearch.secure_config(tmp_path, endpoint=endpoint))
    assert state["healthy"] is False
    assert "IP address mismatch" in state["checks"]["tls"]["error"]
    assert state["checks"]["opensearch"]["status"] == "skipped"


def test_an_expired_certificate_is_refused(
    tmp_path: Path, ca: CertificateAuthority, node_front: Front
) -> None:
    """A fault on demand: the node has one certificate for the session, so the front (a
    double) presents an expired one from our CA."""
    front = node_front(tls=server_context(ca, tmp_path, "localhost", -1))
    state = run_round(tmp_path, plain_config(tmp_path, front.url, ca_bundle=str(ca.bundle)))
    assert state["healthy"] is False
    assert "certificate has expired" in state["checks"]["tls"]["error"]
    assert state["checks"]["opensearch"]["status"] == "skipped"
    assert front.requests == []


def test_untrusted_ca_is_refused(tmp_path: Path, secure_opensearch: NodeTarget) -> None:
    """Without our CA bundle the system store does not know the node's CA."""
    state = run_round(tmp_path, secure_opensearch.secure_config(tmp_path, ca_bundle=""))
    error = state["checks"]["tls"]["error"]
    assert "certificate verify failed" in error or "unable to get local issuer" in error
    assert state["checks"]["opensearch"]["status"] == "skipped"


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
    state = run_round(tmp_path, plain_config(tmp_path, front.url))
    assert state["healthy"] is False
    assert reason in state["checks"]["opensearch"]["error"]
    assert state["consecutive_failures"] == 1 and state["next_probe_in_seconds"] == 1.0


def test_basic_auth_from_the_secrets_file(tmp_path: Path, secure_opensearch: NodeTarget) -> None:
    """The node refuses a wrong password (and the plugin's demo admin/admin) with 401."""
    refused = run_round(tmp_path, secure_opensearch.secure_config(tmp_path, "wrong"))
    assert "401" in refused["checks"]["opensearch"]["error"]
    assert "wrong" not in str(refused)
    config = secure_opensearch.secure_config(tmp_path)
    demo = tmp_path / "demo.yaml"
    demo.write_text("opensearch_username: admin\nopensearch_password: admin\n")
    config["shipping"]["secrets_file"] = str(demo)
    assert "401" in run_round(tmp_path, config)["checks"]["opensearch"]["error"]
    assert run_round(tmp_path, secure_opensearch.secure_config(tmp_path))["healthy"]


def test_sigv4_signed_with_the_credential_chain(
    tmp_path: Path,
    ca: CertificateAuthority,
    aws_test_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    node_front: Front,
) -> None:
    """AWS's signature is checked by our verifier in the front: the node cannot."""
    front = node_front(tls=server_context(ca, tmp_path, "localhost", 30), auth="aws")
    config = plain_config(
        tmp_path, front.url, auth="aws", aws_region=TEST_REGION, ca_bundle=str(ca.bundle)
    )
    ok = run_round(tmp_path, config)
    assert ok["healthy"] is True, ok
    assert front.requests[0].headers["authorization"].startswith("AWS4-HMAC-SHA256")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    refused = run_round(tmp_path, config)
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
    state = run_round(tmp_path, plain_config(tmp_path, ""))
    assert state["healthy"] is True
    assert state["summary"].startswith("no OpenSearch configured: events go to the local spool")
