"""Prometheus alert rules: valid for promtool, each exercised, on metrics that really exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.controllers.test_metrics_prometheus import (  # noqa: F401
    NOT_SCRAPED_HERE,
    exporter,
    scrape,
)

PROMETHEUS = Path(__file__).resolve().parents[3] / "stack/prometheus"
RULES = PROMETHEUS / "rules"
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


RULE_FILES = {"ids2-alerts.yml": 12, "ids2-detections.yml": 1}


def test_every_rule_file_is_counted_here() -> None:
    assert sorted(path.name for path in RULES.glob("*.yml")) == sorted(RULE_FILES)


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_rules_check_and_unit_tests_pass(name: str) -> None:
    assert f"SUCCESS: {RULE_FILES[name]} rules found" in promtool("check", "rules", name)
    tests = PROMETHEUS / "tests" / name.replace(".yml", ".test.yml")
    assert "SUCCESS" in promtool("test", "rules", str(tests))


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_every_alert_has_a_unit_test(name: str) -> None:
    alerts = set(re.findall(r"- alert: (\w+)", (RULES / name).read_text()))
    tests = PROMETHEUS / "tests" / name.replace(".yml", ".test.yml")
    tested = set(re.findall(r"alertname: (\w+)", tests.read_text()))
    assert alerts == tested


def test_rules_use_only_metrics_that_exist(exporter: tuple[int, Path]) -> None:  # noqa: F811
    scraped = set(re.findall(r"^([a-z_:][a-z0-9_:]*)[{ ]", scrape(exporter[0]), re.MULTILINE))
    expressions = [
        rule["expr"]
        for name in RULE_FILES
        for group in yaml.safe_load((RULES / name).read_text())["groups"]
        for rule in group["rules"]
    ]
    used = {
        name
        for expression in expressions
        for name in re.findall(r"\b((?:ids2|vector|up)\w*)\b", re.sub(r'"[^"]*"', '""', expression))
    }
    assert used - scraped - DOCUMENTED - NOT_SCRAPED_HERE == set()
    assert {
        "ids2_throttle_level",
        "ids2_suricata_capture_drop_ratio",
        "ids2_alert_signature_total",
    } <= used
