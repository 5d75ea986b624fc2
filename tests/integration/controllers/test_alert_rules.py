"""Prometheus alert rules: valid for promtool, each exercised, on metrics that really exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.controllers.test_metrics_prometheus import exporter, scrape  # noqa: F401

PROMETHEUS = Path(__file__).resolve().parents[3] / "stack/prometheus"
RULES = PROMETHEUS / "rules"
RULE_TESTS = PROMETHEUS / "tests" / "ids2-alerts.test.yml"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool"),
]
# Metrics other programs of the stack export, from their documentation.
DOCUMENTED = {
    "up",
    "vector_buffer_byte_size",
    "vector_component_discarded_events_total",
    "vector_component_sent_events_total",
}


def promtool(*args: str) -> str:
    result = subprocess.run(
        ["promtool", *args], cwd=RULES, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_rules_check_and_unit_tests_pass() -> None:
    assert "SUCCESS: 11 rules found" in promtool("check", "rules", "ids2-alerts.yml")
    assert "SUCCESS" in promtool("test", "rules", str(RULE_TESTS))


def test_every_alert_has_a_unit_test() -> None:
    alerts = set(re.findall(r"- alert: (\w+)", (RULES / "ids2-alerts.yml").read_text()))
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert alerts == tested


def test_rules_use_only_metrics_that_exist(exporter: tuple[int, Path]) -> None:  # noqa: F811
    scraped = set(re.findall(r"^([a-z_:][a-z0-9_:]*)[{ ]", scrape(exporter[0]), re.MULTILINE))
    groups = yaml.safe_load((RULES / "ids2-alerts.yml").read_text())["groups"]
    expressions = [rule["expr"] for group in groups for rule in group["rules"]]
    used = {
        name
        for expression in expressions
        for name in re.findall(r"\b((?:ids2|vector|up)\w*)\b", re.sub(r'"[^"]*"', '""', expression))
    }
    assert used - scraped - DOCUMENTED == set()
    assert {"ids2_throttle_level", "ids2_suricata_capture_drop_ratio"} <= used
