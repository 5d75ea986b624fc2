"""The stack's containers in the exporter and on the status screen, from the metrics state."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from ids2.stack.collector import StackCollector
from ids2.state import StateStore
from ids2.status.facts import _stack_line
from tests.unit.stack.test_cgroup import CONTAINER, v2_tree

SERVICES = {
    "grafana": {"status": "exited", "health": "none", "ok": False, "restart_count": 0},
    "vector": {"status": "running", "health": "healthy", "ok": True, "restart_count": 2},
}


FAMILIES = ("cpu_seconds_total", "memory_bytes", "memory_working_set_bytes", "memory_limit_bytes")


def registry_for(
    store: StateStore, cgroup_root: Path = Path("/sys/fs/cgroup")
) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(StackCollector(store, cgroup_root))
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


def test_each_containers_cpu_and_memory_come_from_its_cgroup_at_scrape_time(
    tmp_path: Path,
) -> None:
    """Vector's cgroup is there; Redis restarted since the report, so the cgroup it names is
    gone; Grafana's report names a directory outside the cgroup root: only Vector has
    samples, and the scrape still works."""
    root = v2_tree(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "memory.current").write_text("1\n")
    cgroups = {
        "vector": str(root / CONTAINER),
        "redis": str(root / "system.slice/docker-gone.scope"),
        "grafana": str(outside),
    }
    services = {
        name: {**SERVICES["vector"], "cgroup": dict.fromkeys(("cpu", "memory"), directory)}
        for name, directory in cgroups.items()
    }
    store = StateStore(tmp_path)
    store.write("metrics", {"stack": {"services": services}})
    registry = registry_for(store, root)
    figures = {
        name: {
            family: registry.get_sample_value(f"ids2_container_{family}", {"service": name})
            for family in FAMILIES
        }
        for name in cgroups
    }
    assert figures == {
        "vector": {
            "cpu_seconds_total": 2.5,
            "memory_bytes": 73400320.0,
            "memory_working_set_bytes": 52428800.0,
            "memory_limit_bytes": 268435456.0,
        },
        "redis": dict.fromkeys(FAMILIES),
        "grafana": dict.fromkeys(FAMILIES),
    }
    assert registry.get_sample_value("ids2_stack_service_running", {"service": "redis"}) == 1.0


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
    with_memory = {"vector": {**SERVICES["vector"], "memory_working_set_bytes": 73400320.0}}
    with_limit = {"grafana": {**SERVICES["grafana"], "memory_limit_bytes": 2**28}}
    assert _stack_line({"services": with_memory}) == "vector running/healthy 70 MiB (2 restarts)"
    with_limit["grafana"]["memory_working_set_bytes"] = 2**27
    assert _stack_line({"services": with_limit}) == "grafana exited 128/256 MiB"
    assert _stack_line({"error": "no Docker engine answers"}) == "no Docker engine answers"
    assert _stack_line({}) == "no containers (run ids2 deploy)"
