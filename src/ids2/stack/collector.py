"""The stack's containers (Vector, Redis, Prometheus, Grafana) as the metrics controller saw."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client.core import Metric

from ids2.common.families import gauge, labelled_gauge
from ids2.state import StateStore


class StackCollector:
    """Reads the stack report the metrics controller publishes with its own state."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

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
