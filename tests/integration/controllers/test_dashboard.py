"""The Grafana dashboard and `ids2 status`: every PromQL expression they use parses and uses
metrics that exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ids2.status.figures import PIPELINE_QUERIES
from tests.integration.controllers.test_metrics_prometheus import exporter, scrape  # noqa: F401

DASHBOARD = Path(__file__).resolve().parents[3] / "stack/grafana/dashboards/ids2.json"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool"),
]
# Metric names of other stack components, from their documentation.
DOCUMENTED = {
    "vector_component_sent_events_total",
    "vector_component_discarded_events_total",
    "vector_buffer_byte_size",
    "vector_buffer_events",
}
# Present only where /sys/class/thermal has zones (the Pi); tests/unit/metrics covers it.
HARDWARE_DEPENDENT = {"ids2_host_temperature_celsius"}


def expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    dashboard = [target["expr"] for panel in panels for target in panel["targets"]]
    return dashboard + list(PIPELINE_QUERIES.values())


def test_every_expression_parses(tmp_path: Path) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"ids2:dashboard_panel_{index}", "expr": expression}
                    for index, expression in enumerate(expressions())
                ],
            }
        ]
    }
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        ["promtool", "check", "rules", str(tmp_path / "dashboard.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_exists(exporter: tuple[int, Path]) -> None:  # noqa: F811
    scraped = set(re.findall(r"^([a-z_:][a-z0-9_:]*)[{ ]", scrape(exporter[0]), re.MULTILINE))
    used = {
        name
        for expression in expressions()
        for name in re.findall(r"\b((?:ids2|vector)_\w+)", re.sub(r'"[^"]*"', '""', expression))
    }
    assert used - scraped - DOCUMENTED - HARDWARE_DEPENDENT == set()
    assert len(used) > 15
