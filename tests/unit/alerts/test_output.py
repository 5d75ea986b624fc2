"""The text line, the stored document, and the summary's text."""

from __future__ import annotations

import json

from ids2.alerts.alert import Alert
from ids2.alerts.output import json_line, summary_text, text_line
from ids2.alerts.summary import Summary, summarize
from tests.unit.alerts.documents import ecs_alert


def test_one_line_per_alert_with_every_field() -> None:
    alert = Alert.from_ecs(ecs_alert(stamp="2026-12-04T10:00:00.123456Z"))
    assert alert is not None
    assert text_line(alert) == (
        "2026-12-04T10:00:00.123Z  sev 2  sid 2013028  ET POLICY curl User-Agent Outbound  "
        "192.168.1.146:32858 -> 89.160.20.112:80  tcp/http  sensor-a"
    )
    assert json.loads(json_line(alert)) == ecs_alert(stamp="2026-12-04T10:00:00.123456Z")


def test_ipv6_endpoints_keep_their_ports_readable() -> None:
    alert = Alert.from_ecs(ecs_alert(source="2001:db8::1"))
    assert alert is not None
    assert "[2001:db8::1]:32858 -> " in text_line(alert)


def test_summary_text() -> None:
    assert summary_text(Summary()) == "no alerts"
    alert = Alert.from_ecs(ecs_alert())
    assert alert is not None
    text = summary_text(summarize([alert]))
    assert text.splitlines()[0] == "1 alert(s)"
    assert "2013028  ET POLICY curl User-Agent Outbound" in text
