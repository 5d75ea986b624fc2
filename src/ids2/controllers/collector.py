"""What the other controllers published: throttle, connectivity, canary, staleness."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from ids2 import __version__
from ids2.common.families import counter, gauge, labelled_gauge
from ids2.controllers import CONTROLLERS
from ids2.state import StateStore


def _data(store: StateStore, name: str) -> dict[str, Any]:
    state = store.read(name)
    return {} if state is None else state.data


class ControllerStateCollector:
    """Reads every controller's state file at scrape time; keeps nothing between scrapes."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def collect(self) -> Iterable[Metric]:
        build = GaugeMetricFamily("ids2_build_info", "ids2 version.", labels=["version"])
        build.add_metric([__version__], 1.0)
        yield build
        yield from self._staleness()
        yield from self._resource(_data(self.store, "resource"))
        yield from self._connectivity(_data(self.store, "connectivity"))
        yield from self._verify(_data(self.store, "verify"))

    def _staleness(self) -> Iterable[Metric]:
        now = time.time()
        ages: dict[str, object] = {}
        healthy: dict[str, object] = {}
        for name in sorted(CONTROLLERS):
            state = self.store.read(name)
            if state is not None:
                ages[name] = state.age(now)
                healthy[name] = 1.0 if state.data.get("healthy") is True else 0.0
        yield from labelled_gauge(
            "ids2_controller_state_age_seconds",
            "Seconds since the controller last wrote its state.",
            "controller",
            ages,
        )
        yield from labelled_gauge(
            "ids2_controller_healthy",
            "1 when the controller says it is healthy.",
            "controller",
            healthy,
        )

    def _resource(self, data: dict[str, Any]) -> Iterable[Metric]:
        yield from gauge("ids2_throttle_level", "Throttle level 0-3.", data.get("level"))
        yield from gauge(
            "ids2_throttle_load_ratio",
            "Smoothed load that chose the level (0-1).",
            _ratio(data.get("load_percent")),
        )
        yield from counter(
            "ids2_throttle_action_failures",
            "Throttle actions that failed.",
            data.get("action_failures_total"),
        )
        actions = data.get("actions") or {}
        yield from labelled_gauge(
            "ids2_throttle_action_ok",
            "1 when the last throttle action on a target worked.",
            "target",
            {target: float(str(result).startswith("ok")) for target, result in actions.items()},
        )

    def _connectivity(self, data: dict[str, Any]) -> Iterable[Metric]:
        checks = data.get("checks") or {}
        yield from labelled_gauge(
            "ids2_connectivity_check_up",
            "1 when the check passed; 0 when it failed or was skipped after an earlier failure.",
            "check",
            {name: float(bool(check.get("ok"))) for name, check in checks.items()},
        )
        yield from labelled_gauge(
            "ids2_connectivity_check_latency_seconds",
            "Duration of the last check that ran.",
            "check",
            {
                name: check.get("latency_seconds")
                for name, check in checks.items()
                if check.get("status") != "skipped"
            },
        )
        days = (checks.get("tls") or {}).get("days_until_expiry")
        yield from gauge(
            "ids2_tls_certificate_expiry_seconds",
            "Seconds until the OpenSearch certificate expires.",
            days * 86400 if isinstance(days, int | float) else None,
        )

    def _verify(self, data: dict[str, Any]) -> Iterable[Metric]:
        yield from gauge(
            "ids2_canary_latency_seconds",
            "End-to-end latency of the last canary found.",
            data.get("last_latency_seconds"),
        )
        yield from gauge(
            "ids2_canary_last_success_timestamp_seconds",
            "When a canary was last found in the sink.",
            data.get("last_success_at"),
        )
        for kind in ("sent", "found", "failed"):
            yield from counter(
                f"ids2_canaries_{kind}",
                f"Canary events {kind}.",
                data.get(f"canaries_{kind}_total"),
            )


def _ratio(percent: object) -> float | None:
    return percent / 100 if isinstance(percent, int | float) else None
