"""The stack's containers (Vector, Redis, Prometheus, Grafana) as the metrics controller saw,
and what each uses, from its cgroup."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client.core import Metric

from ids2.common.families import gauge, labelled_counter, labelled_gauge
from ids2.stack.cgroup import CGROUP_ROOT, container_usage
from ids2.state import StateStore

CONTAINER_FAMILIES = (
    (
        labelled_counter,
        "cpu_seconds",
        "CPU time the service's container has used, read from its cgroup at scrape time "
        "(cpu.stat usage_usec; cpuacct.usage on cgroup v1).",
    ),
    (
        labelled_gauge,
        "memory_bytes",
        "Memory the service's container uses, file cache included, read from its cgroup "
        "(memory.current; memory.usage_in_bytes on cgroup v1).",
    ),
    (
        labelled_gauge,
        "memory_working_set_bytes",
        "Memory the service's container uses less the inactive file cache the kernel drops "
        "first near the limit, read from its cgroup (memory.current less memory.stat's "
        "inactive_file; memory.usage_in_bytes less total_inactive_file on cgroup v1).",
    ),
    (
        labelled_gauge,
        "memory_limit_bytes",
        "Memory limit of the service's container, read from its cgroup (memory.max; "
        "memory.limit_in_bytes on cgroup v1); absent when it has none.",
    ),
)
"""The families read from each container's cgroup: builder, figure, HELP text."""


class StackCollector:
    """Reads the stack report the metrics controller publishes with its own state, and each
    container's CPU and memory from the cgroup the report names, under `cgroup_root`."""

    def __init__(self, store: StateStore, cgroup_root: Path = CGROUP_ROOT) -> None:
        self.store = store
        self.cgroup_root = cgroup_root

    def collect(self) -> Iterable[Metric]:
        state = self.store.read("metrics")
        report: dict[str, Any] = (state.data.get("stack") if state else None) or {}
        yield from gauge(
            "ids2_stack_engine_up",
            "1 when the container engine answered the last stack report (once a minute).",
            None if not report else float("error" not in report),
        )
        services: dict[str, dict[str, Any]] = report.get("services") or {}
        yield from labelled_gauge(
            "ids2_stack_service_running",
            "1 when the service's container runs.",
            "service",
            {name: float(s.get("status") == "running") for name, s in services.items()},
        )
        yield from labelled_gauge(
            "ids2_stack_service_healthy",
            "1 when the service's container runs and its health check passes (or it has none).",
            "service",
            {name: float(bool(s.get("ok"))) for name, s in services.items()},
        )
        yield from labelled_gauge(
            "ids2_stack_service_restarts",
            "Times the engine restarted the service's current container.",
            "service",
            {name: s.get("restart_count") for name, s in services.items()},
        )
        yield from self._usage(services)

    def _usage(self, services: dict[str, dict[str, Any]]) -> Iterable[Metric]:
        usage = {
            name: container_usage(s.get("cgroup"), self.cgroup_root) for name, s in services.items()
        }
        for build, figure, documentation in CONTAINER_FAMILIES:
            values = {name: figures.get(figure) for name, figures in usage.items()}
            yield from build(f"ids2_container_{figure}", documentation, "service", values)
