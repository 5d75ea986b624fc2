"""The system collector reads the Pi's thermal zones and CPU use at scrape time."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from ids2.system.collector import SystemCollector, temperatures


def zone(root: Path, name: str, kind: str, millidegrees: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "type").write_text(kind + "\n")
    (root / name / "temp").write_text(millidegrees + "\n")


def test_pi_thermal_zone(tmp_path: Path) -> None:
    zone(tmp_path, "thermal_zone0", "cpu-thermal", "52300")
    zone(tmp_path, "thermal_zone1", "broken", "n/a")
    assert temperatures(tmp_path) == {"cpu-thermal": 52.3}
    registry = CollectorRegistry()
    registry.register(SystemCollector(tmp_path))
    text = generate_latest(registry).decode()
    assert 'ids2_host_temperature_celsius{zone="cpu-thermal"} 52.3' in text
    assert 'ids2_host_cpu_usage_ratio{cpu="total"}' in text
