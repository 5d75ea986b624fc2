"""The Grafana dashboards and `ids2 status`: every PromQL expression they use parses and uses
metrics that exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ids2.stack.grafana import DATASOURCE_UID
from ids2.status.figures import PIPELINE_QUERIES
from tests.integration.controllers.test_metrics_prometheus import (  # noqa: F401
    NOT_SCRAPED_HERE,
    exporter,
    scrape,
)

DASHBOARDS = Path(__file__).resolve().parents[3] / "stack/grafana/dashboards"
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

# Grafana's own variables, replaced by what Grafana would put there.
GRAFANA_VARIABLES = {"$__range": "1d"}


def dashboard_expressions(name: str) -> list[str]:
    """The PromQL of every panel of one dashboard, Grafana's variables filled in (targets
    of another datasource have no `expr`)."""
    panels = json.loads((DASHBOARDS / name).read_text())["panels"]
    found = []
    for panel in panels:
        for target in panel["targets"]:
            expression = target.get("expr")
            if expression is None:
                continue
            for variable, value in GRAFANA_VARIABLES.items():
                expression = expression.replace(variable, value)
            found.append(expression)
    return found


def expressions() -> list[str]:
    dashboards = [
        expression
        for path in sorted(DASHBOARDS.glob("*.json"))
        for expression in dashboard_expressions(path.name)
    ]
    return dashboards + list(PIPELINE_QUERIES.values())


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
    assert used - scraped - DOCUMENTED - HARDWARE_DEPENDENT - NOT_SCRAPED_HERE == set()
    assert len(used) > 15


def test_the_detections_dashboard_asks_for_the_alert_metrics() -> None:
    used = " ".join(dashboard_expressions("ids2-detections.json"))
    assert "ids2_alerts_total" in used and "ids2_alert_signature_total" in used
    assert "$" not in used


def test_every_dashboard_has_its_own_uid_and_the_provisioned_datasource() -> None:
    static = {
        source["uid"]
        for path in (DASHBOARDS.parent / "provisioning/datasources").glob("*.yml")
        for source in yaml.safe_load(path.read_text())["datasources"]
    }
    uids = static | {DATASOURCE_UID}  # rendered by ids2 when OpenSearch is configured
    dashboards = [json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))]
    assert len({dashboard["uid"] for dashboard in dashboards}) == len(dashboards) >= 2
    for dashboard in dashboards:
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids, (dashboard["title"], panel["title"])


def test_the_detections_panels_give_rates_by_severity_and_the_top_signatures(
    tmp_path: Path,
) -> None:
    """The panels' queries on series shaped as the exporter writes them, run by promtool:
    alerts per minute by severity, and the top signatures without the `other` series."""
    panels = dashboard_expressions("ids2-detections.json")
    rules = {
        "groups": [
            {
                "name": "detections",
                "rules": [
                    {"record": f"panel_{index}", "expr": expression}
                    for index, expression in enumerate(panels)
                ],
            }
        ]
    }
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    signature = 'ids2_alert_signature_total{sid="%s",signature="%s",severity="%s"}'
    series = {
        'ids2_alerts_total{severity="1"}': "0+120x30",
        'ids2_alerts_total{severity="2"}': "0+60x30",
        signature % ("2100498", "GPL ATTACK_RESPONSE id check returned root", "2"): "0+60x30",
        signature % ("1", "rule 1", "1"): "0+120x30",
        signature % ("other", "other", ""): "0+600x30",
    }
    per_minute = panels.index("sum by (severity) (rate(ids2_alerts_total[5m])) * 60")
    top = next(index for index, text in enumerate(panels) if text.startswith("topk(10, sum by"))
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": name, "values": values} for name, values in series.items()
                ],
                "promql_expr_test": [
                    {
                        "expr": f"panel_{per_minute}",
                        "eval_time": "20m",
                        "exp_samples": [
                            {"labels": f'panel_{per_minute}{{severity="1"}}', "value": 120},
                            {"labels": f'panel_{per_minute}{{severity="2"}}', "value": 60},
                        ],
                    },
                    {
                        "expr": f"panel_{top}",
                        "eval_time": "20m",
                        "exp_samples": [
                            {
                                "labels": f'panel_{top}{{sid="1",signature="rule 1",severity="1"}}',
                                "value": 120 * 20,
                            },
                            {
                                "labels": f"panel_{top}"
                                + '{sid="2100498",signature="GPL ATTACK_RESPONSE id check '
                                'returned root",severity="2"}',
                                "value": 60 * 20,
                            },
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    result = subprocess.run(
        ["promtool", "test", "rules", "test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
