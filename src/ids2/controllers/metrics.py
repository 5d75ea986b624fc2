"""The metrics controller: a Prometheus exporter of sensor health on the configured port.

Collectors read the other controllers' state files, the host and Suricata's EVE stats at
scrape time, so a scrape always shows the present. The one history this process holds is
the alert counts (ids2.alerts.collector), kept across reloads so a SIGHUP resets nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import Metric

from ids2.alerts.collector import AlertCollector
from ids2.common.families import gauge
from ids2.common.sizes import MIB
from ids2.config.values import Config
from ids2.controllers.base import Controller
from ids2.controllers.collector import ControllerStateCollector
from ids2.errors import Ids2Error
from ids2.stack.collector import StackCollector
from ids2.stack.report import REPORT_STATE
from ids2.state import StateStore
from ids2.suricata.collector import SuricataCollector
from ids2.system.collector import SystemCollector

REPORT_STALE_SECONDS = 180.0
"""Three missed runs of ids2-stack-report.timer (every 60 s): the report says nothing now."""


class ConfigCollector:
    """Figures the alert rules compare against, taken from the configuration."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def collect(self) -> Iterable[Metric]:
        shipping = self.config["shipping"]
        yield from gauge(
            "ids2_shipping_disk_buffer_capacity_bytes",
            "Size of Vector's disk buffer in front of OpenSearch.",
            shipping["disk_buffer_mb"] * MIB,
        )
        yield from gauge(
            "ids2_throttle_hard_limit_ratio",
            "CPU/RAM use the box must stay under (0-1).",
            self.config["resources"]["hard_limit_percent"] / 100,
        )


def build_registry(
    config: Config, store: StateStore, thermal_root: Path, alerts: AlertCollector
) -> CollectorRegistry:
    """A private registry with one collector per source."""
    registry = CollectorRegistry(auto_describe=False)
    collectors: list[Any] = [
        alerts,
        SystemCollector(thermal_root),
        ControllerStateCollector(store),
        SuricataCollector(Path(config["ramdisk"]["mount_point"]), store),
        StackCollector(store),
        ConfigCollector(config),
    ]
    for collector in collectors:
        registry.register(collector)
    return registry


class MetricsController(Controller):
    """Serves /metrics; its loop only checks that the server thread is alive."""

    name = "metrics"
    thermal_root = Path("/sys/class/thermal")

    def __init__(self, config: Config, state: StateStore) -> None:
        super().__init__(config, state)
        self.server: Any = None
        self.thread: threading.Thread | None = None
        self.alerts: AlertCollector | None = None

    def setup(self) -> None:
        metrics = self.config["metrics"]
        alerts_dir = Path(self.config["ramdisk"]["mount_point"])
        if self.alerts is None or self.alerts.tail.directory != alerts_dir:
            self.alerts = AlertCollector(alerts_dir, metrics["top_signatures"])
        self.alerts.set_limit(metrics["top_signatures"])
        registry = build_registry(self.config, self.state, self.thermal_root, self.alerts)
        try:
            self.server, self.thread = start_http_server(
                metrics["port"], metrics["listen_address"], registry
            )
        except OSError as error:
            raise Ids2Error(
                f"cannot serve metrics on {metrics['listen_address']}:{metrics['port']} "
                f"(metrics.port, metrics.listen_address): {error}"
            ) from None

    def interval(self) -> float:
        return 10.0

    def apply_config(self, config: Config) -> None:
        """Serve the new config's figures, on its address and port."""
        super().apply_config(config)
        self.teardown()
        self.setup()

    def step(self) -> str:
        metrics = self.config["metrics"]
        address = f"{metrics['listen_address']}:{metrics['port']}"
        alive = self.thread is not None and self.thread.is_alive()
        if self.alerts is not None:
            self.alerts.update()  # between scrapes too, before a rotated file is deleted
        summary = f"serving http://{address}/metrics" if alive else f"exporter on {address} died"
        return self.publish(summary, healthy=alive, address=address, stack=self.stack_report())

    def stack_report(self) -> dict[str, Any]:
        """Each stack service's container state, or why there is none, from the report the
        root oneshot ids2-stack-report writes: this process has no Docker socket.

        Published with this controller's state so that `ids2 status` and the exporter show
        the stack without either of them talking to the engine; a report that is too old
        becomes an error rather than a stale picture.
        """
        report = self.state.read(REPORT_STATE)
        if report is None:
            return {"error": "no stack report yet (ids2-stack-report.timer writes one a minute)"}
        if report.age() > REPORT_STALE_SECONDS:
            return {
                "error": f"the stack report is {report.age():.0f} s old: "
                "is ids2-stack-report.timer running?"
            }
        return {key: report.data[key] for key in ("services", "error") if key in report.data}

    def teardown(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
