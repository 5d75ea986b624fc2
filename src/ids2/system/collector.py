"""Host figures: CPU per core and in total, memory, and temperature (the Pi's thermal zone)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import psutil
from prometheus_client.core import Metric

from ids2.common.families import gauge, labelled_gauge


def temperatures(thermal_root: Path) -> dict[str, float]:
    """Each thermal zone's type and temperature in °C (`temp` is in millidegrees)."""
    readings = {}
    for zone in sorted(thermal_root.glob("thermal_zone*")):
        try:
            kind = (zone / "type").read_text().strip() or zone.name
            readings[kind] = int((zone / "temp").read_text().strip()) / 1000
        except (OSError, ValueError):
            continue
    return readings


class SystemCollector:
    """CPU, memory and temperature of the box at scrape time."""

    def __init__(self, thermal_root: Path = Path("/sys/class/thermal")) -> None:
        self.thermal_root = thermal_root
        psutil.cpu_percent(percpu=True)  # prime: later calls measure since the last scrape

    def collect(self) -> Iterable[Metric]:
        per_core = psutil.cpu_percent(percpu=True)
        ratios = {str(index): value / 100 for index, value in enumerate(per_core)}
        ratios["total"] = sum(per_core) / len(per_core) / 100
        yield from labelled_gauge(
            "ids2_host_cpu_usage_ratio", "CPU use since the last scrape (0-1).", "cpu", ratios
        )
        memory = psutil.virtual_memory()
        yield from gauge("ids2_host_memory_usage_ratio", "RAM in use (0-1).", memory.percent / 100)
        yield from gauge("ids2_host_memory_total_bytes", "RAM of the box.", memory.total)
        yield from labelled_gauge(
            "ids2_host_temperature_celsius",
            "Thermal zone temperature.",
            "zone",
            dict(temperatures(self.thermal_root)),
        )
