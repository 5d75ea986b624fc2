"""The stack's containers in the exporter and on the status screen, from the metrics state."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from ids2.stack.collector import StackCollector
from ids2.state import StateStore
from ids2.status.facts import _stack_line

SERVICES = {
    "grafana": {"status": "exited", "health": "none", "ok": False, "restart_count": 0},
    "vector": {"status": "running", "health": "healthy", "ok": True, "restart_count": 2},
}


def registry_for(store: StateStore) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(StackCollector(store))
    return registry


def test_each_service_is_exported(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.write("metrics", {"stack": {"services": SERVICES}})
    registry = registry_for(store)
    assert registry.get_sample_value("ids2_stack_engine_up") == 1.0
    running = {
        s: registry.get_sample_value("ids2_stack_service_running", {"service": s}) for s in SERVICES
    }
    assert running == {"grafana": 0.0, "vector": 1.0}
    assert registry.get_sample_value("ids2_stack_service_restarts", {"service": "vector"}) == 2.0
    assert registry.get_sample_value("ids2_stack_service_healthy", {"service": "grafana"}) == 0.0


def test_an_unreachable_engine_is_engine_down_with_no_services(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.write("metrics", {"stack": {"error": "no Docker engine answers on /x.sock"}})
    registry = registry_for(store)
    assert registry.get_sample_value("ids2_stack_engine_up") == 0.0
    assert registry.get_sample_value("ids2_stack_service_running", {"service": "vector"}) is None


def test_no_report_yet_exports_nothing(tmp_path: Path) -> None:
    assert registry_for(StateStore(tmp_path)).get_sample_value("ids2_stack_engine_up") is None


def test_the_status_line_names_state_health_and_restarts() -> None:
    assert _stack_line({"services": SERVICES}) == (
        "grafana exited, vector running/healthy (2 restarts)"
    )
    assert _stack_line({"error": "no Docker engine answers"}) == "no Docker engine answers"
    assert _stack_line({}) == "no containers (run ids2 deploy)"
