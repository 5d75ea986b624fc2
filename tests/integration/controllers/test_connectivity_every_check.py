"""Every check of a round reaches the state file and the exporter, whichever step broke,
so the alert on the OpenSearch check (Ids2OpenSearchUnreachable) fires on a DNS failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.controllers.collector import ControllerStateCollector
from ids2.controllers.connectivity import ConnectivityController
from ids2.state import StateStore
from tests.support.blackhole import Blackhole

pytestmark = pytest.mark.integration
MACHINE = Machine(4, 8192, frozenset({"eth0"}))


def probe_once(run: Path, endpoint: str) -> CollectorRegistry:
    """One controller step against `endpoint`; the exporter's collector on its state."""
    document = {
        "shipping": {"opensearch": {"endpoint": endpoint}},
        "connectivity": {"timeout_seconds": 0.5},
    }
    ConnectivityController(validate_document(document, "test", MACHINE), StateStore(run)).step()
    registry = CollectorRegistry()
    registry.register(ControllerStateCollector(StateStore(run)))
    return registry


def check_up(registry: CollectorRegistry, check: str) -> float | None:
    return registry.get_sample_value("ids2_connectivity_check_up", {"check": check})


def test_a_dns_failure_reports_opensearch_unreachable(tmp_path: Path) -> None:
    registry = probe_once(tmp_path, "https://no-such-host.invalid:9200")
    state = StateStore(tmp_path).read("connectivity")
    assert state is not None
    checks = state.data["checks"]
    assert list(checks) == ["dns", "tcp", "tls", "opensearch"]
    assert checks["dns"]["status"] == "failed"
    assert "DNS lookup of no-such-host.invalid failed" in checks["dns"]["error"]
    for name in ("tcp", "tls", "opensearch"):
        assert checks[name]["status"] == "skipped" and checks[name]["ok"] is False
        assert checks[name]["error"] == "skipped: the dns check failed"
    assert [check_up(registry, name) for name in checks] == [0.0, 0.0, 0.0, 0.0]
    latency = "ids2_connectivity_check_latency_seconds"
    assert registry.get_sample_value(latency, {"check": "dns"}) is not None
    assert registry.get_sample_value(latency, {"check": "opensearch"}) is None, (
        "a skipped check has no latency"
    )


def test_a_plain_http_endpoint_has_no_tls_check(tmp_path: Path) -> None:
    with Blackhole() as hole:
        registry = probe_once(tmp_path, f"http://localhost:{hole.port}")
    state = StateStore(tmp_path).read("connectivity")
    assert state is not None
    assert {name: check["status"] for name, check in state.data["checks"].items()} == {
        "dns": "passed",
        "tcp": "passed",
        "opensearch": "failed",
    }
    assert (check_up(registry, "tcp"), check_up(registry, "opensearch")) == (1.0, 0.0)
